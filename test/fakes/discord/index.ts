/**
 * A strict fake Discord (REST /api/v10 + gateway v10) for end-to-end tests with an unmodified discord.js Client:
 *
 *   const fake = await startFakeDiscord({ botToken, applicationId, guilds: [{ id, channels: [cid] }] });
 *   const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
 *   await client.login(botToken);
 *
 * The gateway URL is handed out by GET /gateway/bot, so nothing else needs configuring.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pollUntil } from '../poll-until.js';
import { Gateway, Intent } from './gateway.js';
import {
  buildAutocompleteInteraction,
  buildButtonInteraction,
  buildCommandInteraction,
  buildModalSubmitInteraction,
} from './interactions.js';
import { RateLimiter, type Limit } from './ratelimit.js';
import { Rest } from './rest.js';
import { World, type InteractionState } from './state.js';
import { MessageFlag } from './validate-message.js';
import type {
  ClickButtonInput,
  FakeDiscord,
  FakeDiscordOptions,
  GatewayLogEntry,
  InteractionRecord,
  MessageRecord,
  RateLimitRecord,
  RequestRecord,
  SendAutocompleteInput,
  SendCommandInput,
  SubmitModalInput,
} from './types.js';

export * from './types.js';
export {
  channelWrites,
  maxAcceptedInSlidingWindow,
  maxAttemptsPerWindow,
  max429sPerMinute,
  unforced429s,
  type ChannelWriteRecord,
} from './audit.js';
export { snowflake, snowflakeTimestamp } from './snowflake.js';
export { LIMITS as DISCORD_LIMITS } from './validate-message.js';

function normalizeLimit(l: Limit | null | undefined, dflt: Limit): Limit | null {
  if (l === null) return null;
  const v = l ?? dflt;
  return Number.isFinite(v.requests) ? v : null;
}

class FakeDiscordImpl implements FakeDiscord {
  apiUrl = '';
  gatewayUrl = '';
  readonly botUserId: string;
  readonly applicationId: string;
  readonly requests: RequestRecord[] = [];
  readonly rateLimits: RateLimitRecord[] = [];
  readonly gatewayLog: GatewayLogEntry[] = [];
  private readonly world: World;
  private readonly gateway: Gateway;
  private readonly rest: Rest;
  private server: Server | null = null;

  constructor(private readonly opts: FakeDiscordOptions) {
    if (!/^\d{17,20}$/.test(opts.applicationId)) throw new Error('applicationId must be a snowflake (17-20 digits)');
    for (const g of opts.guilds) {
      for (const id of [g.id, ...g.channels, ...(g.roles ?? [])]) {
        // discord.js derives rate-limit buckets from 17-19 digit ids; anything else would not behave like Discord.
        if (!/^\d{17,19}$/.test(id)) throw new Error(`guild/channel/role ids must be realistic snowflakes, got ${id}`);
      }
    }
    this.world = new World(opts);
    this.botUserId = this.world.botUserId;
    this.applicationId = this.world.applicationId;
    this.gateway = new Gateway(
      this.world,
      {
        botToken: opts.botToken,
        heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 41_250,
        privilegedIntents: opts.privilegedIntents ?? 0,
        url: () => this.gatewayUrl,
      },
      this.gatewayLog,
    );
    this.rest = new Rest(
      this.world,
      this.gateway,
      new RateLimiter(),
      {
        botToken: opts.botToken,
        tokenLifetimeMs: opts.tokenLifetimeMs ?? 15 * 60_000,
        interactionDeadlineMs: opts.interactionDeadlineMs ?? 3000,
        channelEditLimit: normalizeLimit(opts.channelEditLimit, { requests: 5, windowMs: 5000 }),
        defaultRouteLimit: normalizeLimit(opts.defaultRouteLimit, { requests: 50, windowMs: 1000 }),
        gatewayUrl: () => this.gatewayUrl,
      },
      this.requests,
      this.rateLimits,
    );
  }

  get interactions(): InteractionRecord[] {
    return this.world.interactions;
  }

  get messages(): FakeDiscord['messages'] {
    return this.world.messages;
  }

  get commandRegistrations(): FakeDiscord['commandRegistrations'] {
    return this.world.commandRegistrations;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      this.rest.handle(req, res).catch((e: unknown) => {
        console.error('[fake-discord] request failed', e);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.gateway.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.server = server;
    this.apiUrl = `http://127.0.0.1:${port}/api`;
    this.gatewayUrl = `ws://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    await this.gateway.close();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get identifies(): number {
    return this.gateway.identifyCount;
  }

  connected(): boolean {
    return this.gateway.readyConnections().length > 0;
  }

  async waitForReady(timeoutMs = 10_000): Promise<void> {
    await this.waitFor(() => this.connected(), timeoutMs);
  }

  private dispatch(st: InteractionState): InteractionRecord {
    this.world.registerInteraction(st);
    st.record.dispatchedAt = Date.now();
    const at = this.gateway.dispatchToGuild(st.record.guildId, 'INTERACTION_CREATE', st.record.payload);
    if (at === null) {
      this.world.interactions.pop();
      this.world.interactionById.delete(st.record.id);
      this.world.interactionByToken.delete(st.record.token);
      throw new Error(
        '[fake-discord] no bot is connected to the gateway; Discord would show "The application did not respond"',
      );
    }
    st.record.dispatchedAt = at;
    return st.record;
  }

  async sendCommand(input: SendCommandInput): Promise<InteractionRecord> {
    return this.dispatch(buildCommandInteraction(this.world, input, this.opts.requireRegisteredCommands ?? true));
  }

  async sendAutocomplete(input: SendAutocompleteInput): Promise<InteractionRecord> {
    return this.dispatch(buildAutocompleteInteraction(this.world, input));
  }

  async clickButton(input: ClickButtonInput): Promise<InteractionRecord> {
    return this.dispatch(buildButtonInteraction(this.world, input));
  }

  async submitModal(input: SubmitModalInput): Promise<InteractionRecord> {
    return this.dispatch(buildModalSubmitInteraction(this.world, input));
  }

  rateLimitChannel(channelId: string, opts: { times: number; retryAfterMs: number }): void {
    if (!this.world.channels.has(channelId)) throw new Error(`[fake-discord] unknown channel ${channelId}`);
    this.rest.forceChannelLimit(channelId, opts.times, opts.retryAfterMs);
  }

  commands(scope: { guildId?: string }): unknown[] {
    return [...(this.world.commands.get(scope.guildId ?? 'global') ?? [])];
  }

  /** Polls `check` until it holds; `timeoutMs` counts running time only (see pollUntil). */
  async waitFor<T>(check: () => T | undefined | false | null, timeoutMs = 5000): Promise<T> {
    return pollUntil(check, timeoutMs, () => new Error(`[fake-discord] waitFor timed out after ${timeoutMs} ms`));
  }

  messagesIn(channelId: string): MessageRecord[] {
    return this.world.messagesIn(channelId);
  }

  deleteChannel(channelId: string): void {
    const ch = this.world.channels.get(channelId);
    if (!ch) throw new Error(`[fake-discord] unknown channel ${channelId}`);
    const guild = this.world.guilds.get(ch.guildId);
    const payload = this.world.channelObject(ch);
    this.world.channels.delete(channelId);
    if (guild) guild.channels = guild.channels.filter((c) => c.id !== channelId);
    for (const m of this.world.messagesIn(channelId)) {
      if (!m.deleted) {
        m.deleted = true;
        m.deletedAt = Date.now();
      }
    }
    this.gateway.broadcast(ch.guildId, Intent.Guilds, 'CHANNEL_DELETE', payload);
  }

  denyChannelAccess(channelId: string, deny = true): void {
    const ch = this.world.channels.get(channelId);
    if (!ch) throw new Error(`[fake-discord] unknown channel ${channelId}`);
    ch.denied = deny;
    this.gateway.broadcast(ch.guildId, Intent.Guilds, 'CHANNEL_UPDATE', this.world.channelObject(ch));
  }

  deleteMessage(messageId: string): void {
    const m = this.world.messages.get(messageId);
    if (!m || m.deleted) throw new Error(`[fake-discord] unknown message ${messageId}`);
    m.deleted = true;
    m.deletedAt = Date.now();
    if (m.guildId && !(m.flags & MessageFlag.Ephemeral)) {
      this.gateway.broadcast(m.guildId, Intent.GuildMessages, 'MESSAGE_DELETE', {
        id: m.id,
        channel_id: m.channelId,
        guild_id: m.guildId,
      });
    }
  }

  disconnectBot(code = 4000): void {
    this.gateway.disconnect(code);
  }

  setBotPublic(value: boolean): void {
    this.world.botPublic = value;
  }
}

export async function startFakeDiscord(opts: FakeDiscordOptions): Promise<FakeDiscord> {
  const fake = new FakeDiscordImpl(opts);
  await fake.start();
  return fake;
}
