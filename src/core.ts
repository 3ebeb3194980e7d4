import { randomBytes } from 'node:crypto';
import { BurstGate } from './burst-gate.js';
import { MediaStage, type MediaStageOptions } from './media/stage.js';
import { hostname } from 'node:os';
import type { Config } from './config.js';
import { CreditsService } from './credits.js';
import { KlingClient } from './kling/client.js';
import { useModelTable } from './kling/model-table.js';
import { omniModel, useOmniModel } from './omni/defaults.js';
import { Limits } from './limits.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { CardRecords } from './outbox/card-records.js';
import { Outboxes } from './outbox/outboxes.js';
import type { Timers } from './outbox/wake-timer.js';
import type { PlatformPort } from './port.js';
import type { BotServices } from './services.js';
import { openStorage, type Storage } from './store/storage.js';
import type { TaskStore } from './store/task-store.js';
import { TaskService } from './task-service.js';
import { Tracker } from './tracker/tracker.js';
import { LEASE_TTL_MS } from './tracker/leadership.js';
import { MentionClaims } from './store/mention-claims.js';

/** Everything platform-neutral, wired together. Adapters get this and register their port. */
export interface Core {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** The task records (`storage.tasks`). */
  store: TaskStore;
  /** Every store the bot keeps, over the backend STORE_URL names. */
  storage: Storage;
  kling: KlingClient;
  tracker: Tracker;
  services: BotServices;
  /** One per channel: every message write goes through these. */
  outboxes: Outboxes;
  /** Bursts of interactions are answered before background work goes on (burst-gate.ts). */
  burst: BurstGate;
  /** Path segment that makes the callback URL unguessable. */
  callbackToken: string;
  /** Registers a platform's one port (once per platform). */
  addPort(port: PlatformPort): void;
  /** Stop intake is the adapters' part; this drains the outboxes, persists, and closes the store. */
  close(): Promise<void>;
}

export async function createCore(
  config: Config,
  log: Logger,
  options: {
    metrics?: Metrics;
    now?: () => number;
    maxConcurrentCalls?: number;
    storage?: Storage;
    klingTimeoutMs?: number;
    /** Download clocks for result copies (tests shorten them). */
    mediaLimits?: MediaStageOptions['limits'];
    /** The outboxes' clock and timers (a test moves them on instead of waiting out a pause); default `now`. */
    outboxClock?: { now: () => number } & Timers;
  } = {},
): Promise<Core> {
  const now = options.now ?? Date.now;
  // Chosen at start from the configuration (built-in rows and KLING_MODELS_FILE), never at import.
  useModelTable(config.kling.models);
  useOmniModel(config.env.KLING_DEFAULT_OMNI_MODEL);
  const metrics = options.metrics ?? new Metrics({ defaults: true });
  const storage = options.storage ?? (await openStorage(config.env.STORE_URL, log));
  const store = storage.tasks;
  const kling = new KlingClient({
    baseUrl: config.kling.baseUrl,
    credentials: config.kling.credentials,
    api: config.kling.api,
    log,
    now,
    backoffBaseMs: Math.min(250, config.env.POLL_INTERVAL_MS / 2),
    ...(options.klingTimeoutMs ? { timeoutMs: options.klingTimeoutMs } : {}),
    onCall: (op, outcome) => metrics.providerCalls.inc({ op, outcome }),
  });
  const callbackToken = config.callbackToken;
  const callbackUrl = config.env.PUBLIC_URL
    ? `${config.env.PUBLIC_URL.replace(/\/+$/, '')}/kling/callback/${callbackToken}`
    : undefined;
  // The one writer of the records' card fields; close() waits for what the outboxes reported.
  const cards = new CardRecords(store, log);
  const outboxes = new Outboxes({
    log,
    metrics,
    now: options.outboxClock?.now ?? now,
    ...(options.outboxClock ? { timers: options.outboxClock } : {}),
    media: new MediaStage({
      concurrency: config.env.MEDIA_CONCURRENCY,
      log,
      now,
      ...(options.mediaLimits ? { limits: options.mediaLimits } : {}),
    }),
    onPosted: cards.posted,
    onShown: cards.shown,
    onGone: cards.gone,
    mayMention: new MentionClaims(storage.replay, now).claim,
  });
  // Several replicas share a Redis store; one lease decides which of them tracks.
  const lease = storage.shared
    ? storage.trackerLease(`${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, LEASE_TTL_MS, now)
    : undefined;
  const burst = new BurstGate(now);
  storage.upkeepWhenQuiet(() => burst.after());
  const tracker = new Tracker({
    store,
    burst,
    budgets: storage.budgets,
    kling,
    outboxes,
    log,
    metrics,
    pollIntervalMs: config.env.POLL_INTERVAL_MS,
    ...(options.maxConcurrentCalls ? { maxConcurrentCalls: options.maxConcurrentCalls } : {}),
    ...(callbackUrl ? { callbackUrl } : {}),
    ...(lease ? { lease } : {}),
    now,
  });
  const env = config.env;
  const limits = new Limits(
    {
      userMaxActive: env.USER_MAX_ACTIVE_TASKS,
      userMaxDaily: env.USER_MAX_DAILY_TASKS,
      guildMaxDaily: env.GUILD_MAX_DAILY_TASKS,
      allowedRoleIds: env.ALLOWED_ROLE_IDS,
      allowedChannelIds: env.ALLOWED_CHANNEL_IDS,
      adminUserIds: env.ADMIN_USER_IDS,
      userMaxDailyUnits: env.USER_MAX_DAILY_UNITS,
      guildMaxDailyUnits: env.GUILD_MAX_DAILY_UNITS,
      maxDailyUnits: env.MAX_DAILY_UNITS,
      allowedModels: env.ALLOWED_MODELS,
    },
    storage,
    now,
  );
  const tasks = new TaskService({
    store,
    replay: storage.replay,
    budgets: storage.budgets,
    cards,
    tracker,
    limits,
    log,
    outboxes,
    now,
    standardFor: (req) => kling.standardFor(req),
  });
  const credits = new CreditsService({
    auth: config.kling.auth,
    fetch: (start, end) => kling.accountCosts(start, end),
    now,
  });
  const services: BotServices = {
    tasks,
    credits,
    limits,
    store,
    tracker,
    log,
    defaults: {
      videoModel: env.KLING_DEFAULT_MODEL,
      imageModel: env.KLING_DEFAULT_IMAGE_MODEL,
      omniModel: omniModel(),
      standardFor: (model, kind) => (kind !== 'image' ? kling.standardFor({ kind, model }) : 'legacy'),
    },
    now,
  };
  return {
    config,
    log,
    metrics,
    store,
    storage,
    kling,
    tracker,
    services,
    outboxes,
    burst,
    callbackToken,
    addPort(port) {
      outboxes.addPort(port);
    },
    async close() {
      // Order matters: no new work, every write out (bounded), everything stored, then the store goes.
      await tracker.stop();
      await outboxes.drain(2000);
      outboxes.stop();
      await cards.settled();
      await tracker.releaseLease();
      await storage.close();
    },
  };
}
