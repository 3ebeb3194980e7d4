import { Client, Events, GatewayIntentBits, Options, Routes } from 'discord.js';
import { Dispatcher } from '../../../commands/dispatch.js';
import type { Config } from '../../config.js';
import type { Core } from '../../core.js';
import type { PlatformAdapter, StartAdapter } from '../types.js';
import { InteractionAcker } from './ack.js';
import { registerCommands } from './commands.js';
import { GuildGate } from './guild-gate.js';
import { InteractionHandler } from './interactions.js';
import { TOKEN_LIFETIME_MS, TOKEN_MARGIN_MS } from './handles.js';
import { DiscordPort } from './port.js';
import { messageRest } from './rest.js';
import { messageOf } from '../../error-fields.js';

export type DiscordConfig = NonNullable<Config['discord']>;

/** Knobs with production defaults; tests shorten the clocks. */
export interface DiscordAdapterOptions {
  /** Interaction token lifetime (Discord: 15 minutes). */
  tokenLifetimeMs?: number;
  /** Leave the webhook route this long before the token expires. */
  tokenMarginMs?: number;
  /** Acknowledge anything still unanswered after this long (Discord allows 3 s). */
  ackWatchdogMs?: number;
  /** Give up start-up if the gateway is not ready by then. */
  readyTimeoutMs?: number;
  /** How many users and members discord.js keeps cached (each interaction brings one of each). */
  userCacheSize?: number;
  /** Register slash commands on start (default true; `npm run register` does it alone). */
  registerCommands?: boolean;
  /** While every command is refused (public application, or Discord unreachable), ask again at most this often. */
  guildRecheckMs?: number;
  now?: () => number;
}

export interface DiscordAdapter extends PlatformAdapter {
  port: DiscordPort;
  client: Client;
}

const STOP_GRACE_MS = 3000;
/**
 * discord.js keeps a rate-limit queue per interaction token (each card's webhook) and drops idle
 * ones only every hour by default: with thousands of tasks that is thousands of idle queues. A
 * minute keeps them few; a dropped queue is made again on the next request.
 */
const HANDLER_SWEEP_MS = 60_000;
const USER_CACHE_SIZE = 1000;

function waitForReady(client: Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the Discord gateway was not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.once(Events.ClientReady, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Starts the Discord side: registers the slash commands, connects to the gateway (Guilds intent
 * only: interactions need nothing more) and returns the CardPort the tracker edits cards through.
 */
export async function startDiscordAdapter(
  core: Core,
  config: DiscordConfig,
  options: DiscordAdapterOptions = {},
): Promise<DiscordAdapter> {
  const log = core.log.child({ platform: 'discord' });
  const now = options.now ?? Date.now;
  // Every message write gets this REST client: it throws on 429 instead of queueing and never
  // retries, and hands each answer's rate headers to the channel's outbox, which alone decides when
  // to try again. discord.js's own client only registers commands and keeps the gateway.
  const editRest = messageRest(config.apiUrl, config.token, () => core.burst.after());
  // Every interaction brings its user and member, and discord.js would keep them all for good: a
  // bounded cache keeps memory flat however many people use the bot (nothing here reads it back).
  const userCacheSize = options.userCacheSize ?? USER_CACHE_SIZE;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: config.apiUrl, handlerSweepInterval: HANDLER_SWEEP_MS },
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      UserManager: { maxSize: userCacheSize, keepOverLimit: (user) => user.id === user.client.user.id },
      GuildMemberManager: { maxSize: userCacheSize, keepOverLimit: (member) => member.id === member.client.user.id },
      // Nothing reads messages back from the cache (cards are edited by id): without this, every
      // card the bot posts stays in memory, up to 200 per channel.
      MessageManager: 0,
    }),
  });
  const port = new DiscordPort({
    rest: editRest,
    applicationId: config.applicationId,
    botUserId: () => client.user?.id,
    log,
    now,
  });
  // Registered before the first interaction can arrive, so no card is opened without a port to edit it.
  core.addPort(port);
  const acker = new InteractionAcker(config.apiUrl, client.rest.options.version);
  client.rest.setToken(config.token);
  // Asked while the gateway logs in; until it has answered, interactions wait for it (see GuildGate).
  const gate = new GuildGate({
    guildIds: config.guildIds,
    fetchApplication: () => client.rest.get(Routes.currentApplication()),
    isMember: (guildId) => client.guilds.cache.has(guildId),
    log,
    now,
    ...(options.guildRecheckMs !== undefined ? { recheckMs: options.guildRecheckMs } : {}),
  });
  const handler = new InteractionHandler({
    acker,
    core,
    dispatcher: new Dispatcher(core.services, core.metrics),
    send: async (scope, write) => {
      const outbox = core.outboxes.for(scope);
      if (!outbox) throw new Error('no outbox for this channel');
      await outbox.send(scope, 1, write);
    },
    log,
    tokenLifetimeMs: options.tokenLifetimeMs ?? TOKEN_LIFETIME_MS,
    tokenMarginMs: options.tokenMarginMs ?? TOKEN_MARGIN_MS,
    ackWatchdogMs: options.ackWatchdogMs ?? 1500,
    now,
    gate,
  });
  const inflight = new Set<Promise<void>>();
  let stopping = false;
  client.on(Events.InteractionCreate, (interaction) => {
    if (stopping) return;
    const run = handler.handle(interaction).catch((err: unknown) => log.error({ err }, 'interaction handler crashed'));
    inflight.add(run);
    void run.finally(() => inflight.delete(run));
  });
  client.on(Events.Error, (err) => log.error({ err }, 'discord client error'));
  client.on(Events.ShardDisconnect, (event, shardId) =>
    log.warn({ code: event.code, shardId }, 'discord gateway disconnected'),
  );

  // The commands register over REST while the gateway logs in: the two are independent, and in
  // sequence they made start-up one REST round trip longer. The bot counts as started once both ended.
  const registering =
    options.registerCommands === false
      ? Promise.resolve()
      : registerCommands(client.rest, config.applicationId, config.guildIds, log).catch((err: unknown) => {
          // Discord keeps the last registration, so the bot still works if only this call failed.
          log.error({ err }, 'could not register discord commands');
        });
  const ready = waitForReady(client, options.readyTimeoutMs ?? 30_000);
  // Connections for acknowledgements open while the gateway logs in (never rejects).
  const warming = acker.warm();
  try {
    await client.login(config.token);
    await ready;
  } catch (err) {
    await registering;
    await client.destroy();
    acker.close();
    editRest.clearHashSweeper();
    editRest.clearHandlerSweeper();
    throw new Error(`Discord login failed: ${messageOf(err)}`, { cause: err });
  }
  await Promise.all([warming, registering, gate.ready()]);
  log.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'discord connected');
  reportCacheSizes(core, client);

  return {
    port,
    client,
    async stop() {
      stopping = true;
      await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
      await client.destroy();
      acker.close();
      editRest.clearHashSweeper();
      editRest.clearHandlerSweeper();
    },
  };
}

/** discord.js's caches as /metrics entries, refreshed when the bot connects and at each scrape. */
function reportCacheSizes(core: Core, client: Client): void {
  const set = () => {
    const gauge = core.metrics.cacheEntries;
    gauge.set({ platform: 'discord', cache: 'guilds' }, client.guilds.cache.size);
    gauge.set({ platform: 'discord', cache: 'channels' }, client.channels.cache.size);
    gauge.set({ platform: 'discord', cache: 'users' }, client.users.cache.size);
    let members = 0;
    let roles = 0;
    for (const guild of client.guilds.cache.values()) {
      members += guild.members.cache.size;
      roles += guild.roles.cache.size;
    }
    gauge.set({ platform: 'discord', cache: 'members' }, members);
    gauge.set({ platform: 'discord', cache: 'roles' }, roles);
  };
  set();
  core.metrics.beforeScrape(set);
}

/** `main.ts` entry point: the adapter with production settings. */
export const startDiscord: StartAdapter<DiscordConfig> = (core, config) => startDiscordAdapter(core, config);
