import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from './config.js';
import { Dispatcher } from './dispatch.js';
import { KlingClient } from './kling/client.js';
import { Limits } from './limits.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import type { CardPort } from './port.js';
import type { BotServices } from './services.js';
import { TaskStore } from './store/task-store.js';
import { TaskService } from './task-service.js';
import { Tracker } from './tracker/tracker.js';

/** Everything platform-neutral, wired together. Adapters get this and add their CardPort. */
export interface Core {
  config: Config;
  log: Logger;
  metrics: Metrics;
  store: TaskStore;
  kling: KlingClient;
  tracker: Tracker;
  services: BotServices;
  dispatcher: Dispatcher;
  /** Path segment that makes the callback URL unguessable. */
  callbackToken: string;
  addPort(port: CardPort): void;
  close(): Promise<void>;
}

export async function createCore(config: Config, log: Logger, options: { metrics?: Metrics; now?: () => number; maxConcurrentCalls?: number } = {}): Promise<Core> {
  const now = options.now ?? Date.now;
  const metrics = options.metrics ?? new Metrics({ defaults: true });
  const store = await TaskStore.open(config.env.STORE_URL, log);
  const kling = new KlingClient({
    baseUrl: config.kling.baseUrl,
    auth: config.kling.auth,
    log,
    now,
    backoffBaseMs: Math.min(250, config.env.POLL_INTERVAL_MS / 2),
    onCall: (op, outcome) => metrics.providerCalls.inc({ op, outcome }),
  });
  const callbackToken = config.callbackToken;
  const callbackUrl = config.env.PUBLIC_URL ? `${config.env.PUBLIC_URL.replace(/\/+$/, '')}/kling/callback/${callbackToken}` : undefined;
  const ports = new Map<string, CardPort>();
  // Several replicas share a Redis store; one lease decides which of them tracks.
  const shared = /^rediss?:\/\//.test(config.env.STORE_URL);
  const lease = shared ? store.trackerLease(`${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, Math.max(3000, config.env.POLL_INTERVAL_MS * 3), now) : undefined;
  const tracker = new Tracker({
    store,
    kling,
    ports: [],
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
    },
    store,
    now,
  );
  const tasks = new TaskService({ store, tracker, limits, log, ports, now });
  const services: BotServices = { tasks, limits, store, tracker, log, defaults: { videoModel: env.KLING_DEFAULT_MODEL, imageModel: env.KLING_DEFAULT_IMAGE_MODEL }, now };
  return {
    config,
    log,
    metrics,
    store,
    kling,
    tracker,
    services,
    dispatcher: new Dispatcher(services, metrics),
    callbackToken,
    addPort(port) {
      ports.set(port.platform, port);
      tracker.addPort(port);
    },
    async close() {
      await tracker.stop();
      await store.close();
    },
  };
}
