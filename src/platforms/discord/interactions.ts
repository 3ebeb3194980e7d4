import {
  GuildMember,
  PermissionFlagsBits,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
} from 'discord.js';
import { precheck, type Dispatcher } from '../../../commands/dispatch.js';
import { suggest } from '../../../commands/suggest.js';
import type { Command } from '../../../commands/types.js';
import type { Core } from '../../core.js';
import { InteractionClosedError, ValidationError, userMessageOf } from '../../errors.js';
import { decodeButtonId } from '../../interaction-ids.js';
import type { Invocation } from '../../invocation.js';
import type { Logger } from '../../log.js';
import { errorNotice, notices } from '../../render/notices.js';
import type { InteractionAcker } from './ack.js';
import { readOptions, type ReadOptions } from './commands.js';
import type { GuildGate } from './guild-gate.js';
import type { DiscordInteraction } from './handles.js';
import { InteractionIO, type SendThroughOutbox } from './io.js';
import { BurstGate } from './burst-gate.js';

export interface InteractionHandlerOptions {
  core: Core;
  dispatcher: Dispatcher;
  /** Every write after the acknowledgement goes through the channel's outbox. */
  send: SendThroughOutbox;
  log: Logger;
  tokenLifetimeMs: number;
  tokenMarginMs: number;
  /** Anything still unanswered this long after it arrived is acknowledged (Discord allows 3 s). */
  ackWatchdogMs: number;
  now: () => number;
  acker: InteractionAcker;
  /** Refuses interactions from servers the bot does not serve, before anything else runs. */
  gate: GuildGate;
}

/** DISCORD_ADMIN_PERMISSION: which permission makes a member an admin of the bot (README, Configuration). */
export type AdminPermission = 'administrator' | 'manage_guild' | 'none';

const ADMIN_FLAGS: Record<AdminPermission, readonly bigint[]> = {
  // Administrator implies every permission, Manage Server included: either opt-in admits it.
  administrator: [PermissionFlagsBits.Administrator],
  manage_guild: [PermissionFlagsBits.Administrator, PermissionFlagsBits.ManageGuild],
  none: [],
};

/** Who clicked or typed, in the core's terms. `isAdmin`: the member holds the permission the operator chose. */
export function invocationOf(
  interaction: DiscordInteraction,
  adminPermission: AdminPermission,
  attachments?: ReadOptions['attachments'],
): Invocation {
  const guildId = interaction.guildId ?? '';
  const member = interaction.member;
  const roleIds =
    member instanceof GuildMember
      ? [...member.roles.cache.keys()].filter((id) => id !== guildId)
      : Array.isArray(member?.roles)
        ? [...member.roles]
        : [];
  const name = member instanceof GuildMember ? member.displayName : (member?.nick ?? interaction.user.displayName);
  const perms = interaction.memberPermissions;
  return {
    platform: 'discord',
    guildId,
    channelId: interaction.channelId ?? '',
    user: {
      id: interaction.user.id,
      name,
      roleIds,
      // checkAdmin false: has(Administrator-implies-all) must not turn Manage Server into Administrator.
      isAdmin: Boolean(perms && ADMIN_FLAGS[adminPermission].some((flag) => perms.has(flag, false))),
    },
    ...(attachments ? { attachments } : {}),
    // Discord's interaction id: the same on every connection it is delivered to.
    requestKey: `discord:${interaction.id}`,
  };
}

/** The same checks the dispatcher runs first; pure and fast, so they may decide whether to defer. */
function wouldRun(
  command: Command,
  raw: Record<string, unknown>,
  attachments: ReadOptions['attachments'],
  defaults: Core['services']['defaults'],
): boolean {
  try {
    precheck(command, raw, { inv: attachments ? { attachments } : {}, defaults });
    return true;
  } catch {
    return false;
  }
}

/** `make()` on first call, the same value after. */
function once<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}

/**
 * The adapter's one interaction boundary: acknowledge in time, turn the interaction into an
 * Invocation, hand it to the dispatcher, and answer privately if anything escapes.
 */
export class InteractionHandler {
  private readonly burst: BurstGate;

  constructor(private readonly o: InteractionHandlerOptions) {
    this.burst = new BurstGate(o.now);
  }

  private get adminPermission(): AdminPermission {
    return this.o.core.config.env.DISCORD_ADMIN_PERMISSION;
  }

  async handle(interaction: Interaction): Promise<void> {
    this.burst.seen();
    if (await this.o.gate.refuse(interaction, this.o.acker)) return;
    if (interaction.isChatInputCommand()) return this.onCommand(interaction);
    if (interaction.isButton()) return this.onButton(interaction);
    if (interaction.isAutocomplete()) return this.onAutocomplete(interaction);
  }

  /** Suggestions from the capability table, answered at once (pure, in memory): nothing else waits on them. */
  private async onAutocomplete(interaction: AutocompleteInteraction): Promise<void> {
    try {
      const command = this.o.dispatcher.command(interaction.commandName);
      const focused = interaction.options.getFocused(true);
      const others = Object.fromEntries(
        interaction.options.data.filter((o) => !o.focused).map((o) => [o.name, o.value]),
      );
      const choices = command
        ? suggest(command, focused.name, String(focused.value ?? ''), others, this.o.core.services.defaults)
        : [];
      await this.o.acker.autocomplete(interaction, choices);
    } catch (err) {
      // Nothing to tell the user: Discord just shows no suggestions.
      this.o.log.warn({ err, command: interaction.commandName }, 'autocomplete answer failed');
    }
  }

  private io(interaction: DiscordInteraction, log: () => Logger): InteractionIO {
    return new InteractionIO(interaction, {
      onAcknowledged: this.burst.awaitsAnswer(),
      afterAnswer: () => this.burst.after(),
      log,
      receivedAt: this.o.now(),
      tokenLifetimeMs: this.o.tokenLifetimeMs,
      tokenMarginMs: this.o.tokenMarginMs,
      now: this.o.now,
      acker: this.o.acker,
      send: this.o.send,
    });
  }

  private async onCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    // Everything before the acknowledgement is what deciding it needs; the rest waits.
    const log = once(() =>
      this.o.log.child({
        interaction: interaction.id,
        command: interaction.commandName,
        guild: interaction.guildId,
        channel: interaction.channelId,
        user: interaction.user.id,
      }),
    );
    const io = this.io(interaction, log);
    const { dispatcher } = this.o;
    try {
      if (!interaction.inGuild())
        return await io.replyPrivate(
          errorNotice('kling-bot works inside a server: use its commands in one of the server’s channels.'),
        );
      const command = dispatcher.command(interaction.commandName);
      if (!command)
        return await dispatcher.runCommand(
          interaction.commandName,
          {},
          invocationOf(interaction, this.adminPermission),
          io,
        );
      let read: ReadOptions;
      try {
        read = readOptions(command, interaction.options.data);
      } catch (err) {
        if (err instanceof ValidationError)
          return await io.replyPrivate(notices.invalidOption(command.name, err.userMessage));
        throw err;
      }
      // A card is the command's own answer (type 4), sent as soon as its record is written; only a
      // store slower than the watchdog makes it a public "thinking…" first. Input that will be
      // refused gets its private answer as the acknowledgement itself.
      if (command.visibility === 'private') {
        await this.burst.acking$(io.deferEphemeral());
        io.armWatchdog(this.o.ackWatchdogMs, 'private');
        await this.burst.after();
      } else {
        io.armWatchdog(
          this.o.ackWatchdogMs,
          wouldRun(command, read.raw, read.attachments, this.o.core.services.defaults) ? 'public' : 'private',
        );
      }
      await dispatcher.runCommand(
        command.name,
        read.raw,
        invocationOf(interaction, this.adminPermission, read.attachments),
        io,
      );
    } catch (err) {
      await this.fail(io, err, log);
    } finally {
      io.done();
    }
  }

  private async onButton(interaction: ButtonInteraction): Promise<void> {
    const log = once(() =>
      this.o.log.child({
        interaction: interaction.id,
        button: interaction.customId,
        guild: interaction.guildId,
        channel: interaction.channelId,
        user: interaction.user.id,
      }),
    );
    const io = this.io(interaction, log);
    try {
      if (!interaction.inGuild()) return await io.replyPrivate(notices.unknownButton());
      const decoded = decodeButtonId(interaction.customId);
      // Regenerate and Extend answer with their new card (type 4); Refresh and Delete act on the card they sit on.
      const opensCard = decoded.type === 'card' && (decoded.action === 'regenerate' || decoded.action === 'extend');
      if (decoded.type === 'card' && !opensCard) await this.burst.acking$(io.deferUpdate());
      io.armWatchdog(this.o.ackWatchdogMs, opensCard ? 'public' : 'private');
      if (io.acknowledged) await this.burst.after();
      await this.o.dispatcher.runButton(interaction.customId, invocationOf(interaction, this.adminPermission), io);
    } catch (err) {
      await this.fail(io, err, log);
    } finally {
      io.done();
    }
  }

  private async fail(io: InteractionIO, err: unknown, log: () => Logger): Promise<void> {
    // Answered by another process running this bot, or too late: nothing can reach the user.
    if (err instanceof InteractionClosedError) {
      log().warn({ err }, 'interaction not acknowledged by this process (answered elsewhere, or too late); left alone');
      return;
    }
    log().error({ err, acknowledged: io.acknowledged }, 'discord interaction failed');
    await io
      .replyPrivate(errorNotice(userMessageOf(err)))
      .catch((replyErr: unknown) => log().warn({ err: replyErr }, 'could not tell the user about the failure'));
  }
}
