import { MessageFlags, type Interaction } from 'discord.js';
import { z } from 'zod';
import type { Logger } from '../../log.js';
import { errorNotice } from '../../render/notices.js';
import type { DiscordInteraction } from './handles.js';
import { restBody } from './handles.js';
import { privateMessage } from './render.js';

/**
 * Which servers the bot serves. A Discord application is public by default and its id is public,
 * so anyone can add it to a server they own and be Administrator there: without a gate that is
 * free Kling videos on the operator's account.
 * - `listed`: DISCORD_GUILD_IDS is set; those servers only.
 * - `owner-only`: no list, and Discord says the application is not public (only its owner can add
 *   it): every server it is in.
 * - `public`: no list and a public application: nothing is served until the operator decides.
 * - `unchecked`: no list and Discord could not be asked: refused, the safe side.
 */
export type GuildPolicy =
  | { kind: 'listed'; guildIds: ReadonlySet<string> }
  | { kind: 'owner-only' }
  | { kind: 'public' }
  | { kind: 'unchecked' };

export type GuildVerdict = 'serve' | 'no-server' | 'not-listed' | 'not-member' | 'public-app' | 'unchecked';

/** GIVEN the policy and where an interaction comes from, THEN whether it is served (pure). */
export function guildVerdict(
  policy: GuildPolicy,
  guildId: string | null | undefined,
  isMember: (guildId: string) => boolean,
): GuildVerdict {
  // A DM, or a user-installed command used where the bot is not: no server to hold to account.
  if (!guildId) return 'no-server';
  switch (policy.kind) {
    case 'listed':
      return policy.guildIds.has(guildId) ? 'serve' : 'not-listed';
    case 'owner-only':
      return isMember(guildId) ? 'serve' : 'not-member';
    case 'public':
      return 'public-app';
    case 'unchecked':
      return 'unchecked';
  }
}

const ADMIN_FIX =
  'an admin of the bot must list the servers it serves in `DISCORD_GUILD_IDS`, or turn off *Public Bot* ' +
  'in the Discord developer portal (Bot page).';

/** What the person who was refused reads (privately). */
export const REFUSALS: Record<Exclude<GuildVerdict, 'serve'>, string> = {
  'no-server': 'kling-bot works inside a server: use its commands in one of the server’s channels.',
  'not-listed': 'kling-bot does not serve this server. Nothing was sent to Kling.',
  'not-member': 'kling-bot serves only the servers it was added to. Nothing was sent to Kling.',
  'public-app': `kling-bot is switched off until its operator chooses where it works: ${ADMIN_FIX}`,
  unchecked:
    'kling-bot could not ask Discord whether it may serve this server, so it refuses for now. ' +
    `Try again in a minute; if this lasts, ${ADMIN_FIX}`,
};

/** The one field of GET /applications/@me that matters here. */
const ApplicationInfo = z.object({ bot_public: z.boolean() });

/** GIVEN DISCORD_GUILD_IDS and Discord's answer about the application, THEN the policy (pure). */
export function policyOf(guildIds: readonly string[], application: unknown): GuildPolicy {
  if (guildIds.length > 0) return { kind: 'listed', guildIds: new Set(guildIds) };
  const parsed = ApplicationInfo.safeParse(application);
  if (!parsed.success) return { kind: 'unchecked' };
  return parsed.data.bot_public ? { kind: 'public' } : { kind: 'owner-only' };
}

export interface GuildGateOptions {
  guildIds: readonly string[];
  /** GET /applications/@me; asked only when no servers are listed. */
  fetchApplication: () => Promise<unknown>;
  /** The bot is in this server (discord.js's guild cache). */
  isMember: (guildId: string) => boolean;
  log: Logger;
  now: () => number;
  /** While refusing everything, ask Discord again at most this often (the operator may have fixed it). */
  recheckMs?: number;
}

const RECHECK_MS = 60_000;

/** Holds the policy, asks Discord when there is no list, and refuses strangers privately. */
export class GuildGate {
  private policy: Promise<GuildPolicy>;
  private checkedAt = 0;
  private checking = false;

  constructor(private readonly o: GuildGateOptions) {
    this.policy = this.check();
  }

  /** Resolves once the first check has ended (never rejects). */
  ready(): Promise<GuildPolicy> {
    return this.policy;
  }

  private check(): Promise<GuildPolicy> {
    const { guildIds, log } = this.o;
    this.checkedAt = this.o.now();
    if (guildIds.length > 0) return Promise.resolve(policyOf(guildIds, undefined));
    this.checking = true;
    return this.o
      .fetchApplication()
      .then(
        (app) => {
          const policy = policyOf(guildIds, app);
          if (policy.kind === 'public')
            log.error(
              'the Discord application is public and DISCORD_GUILD_IDS is empty: every command is refused until ' +
                'you list the servers in DISCORD_GUILD_IDS or turn off Public Bot in the developer portal',
            );
          else if (policy.kind === 'unchecked')
            log.error('GET /applications/@me gave no bot_public; refusing commands');
          else log.info('the Discord application is private: serving every server it is in');
          return policy;
        },
        (err: unknown) => {
          log.error(
            { err },
            'could not ask Discord whether the application is public; refusing commands until it answers',
          );
          return { kind: 'unchecked' } as const;
        },
      )
      .finally(() => (this.checking = false));
  }

  /** Whether this interaction is served; starts a new check in the background when refusing all. */
  async verdict(guildId: string | null | undefined): Promise<GuildVerdict> {
    const policy = await this.policy;
    const verdict = guildVerdict(policy, guildId, this.o.isMember);
    if (
      (policy.kind === 'public' || policy.kind === 'unchecked') &&
      !this.checking &&
      this.o.now() - this.checkedAt >= (this.o.recheckMs ?? RECHECK_MS)
    ) {
      const next = this.check();
      // The current policy stays until Discord has answered.
      void next.then((p) => (this.policy = Promise.resolve(p)));
    }
    return verdict;
  }

  /**
   * Refuses an interaction from a server the bot does not serve, privately and before anything is
   * written or sent to Kling, with one log line naming the server. Returns true when refused.
   */
  async refuse(interaction: Interaction, answer: GuildRefusalAnswer): Promise<boolean> {
    const verdict = await this.verdict(interaction.guildId);
    if (verdict === 'serve') return false;
    this.o.log.warn(
      { guild: interaction.guildId, user: interaction.user.id, verdict, interaction: interaction.id },
      'interaction refused: not from a server this bot serves',
    );
    try {
      // Autocomplete takes no message: no suggestions is its refusal.
      if (interaction.isAutocomplete()) await answer.autocomplete(interaction, []);
      else if (interaction.isRepliable())
        await answer.respond(interaction as DiscordInteraction, 4, {
          ...restBody(privateMessage(errorNotice(REFUSALS[verdict]))),
          flags: MessageFlags.Ephemeral,
        });
    } catch (err) {
      this.o.log.warn({ err, guild: interaction.guildId }, 'could not answer a refused interaction');
    }
    return true;
  }
}

/** The acknowledgement calls a refusal needs (InteractionAcker's). */
export interface GuildRefusalAnswer {
  respond(interaction: DiscordInteraction, type: 4, data: object): Promise<void>;
  autocomplete(
    interaction: Pick<DiscordInteraction, 'id' | 'token'>,
    choices: ReadonlyArray<{ name: string; value: string }>,
  ): Promise<void>;
}
