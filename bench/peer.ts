import { Worker } from 'node:worker_threads';
import { loadConfig } from '../src/config.js';
import { createCore } from '../src/core.js';
import { createLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { startDiscordAdapter } from '../src/platforms/discord/index.js';
import { PeerMessage, type PeerCommand, type PeerSetup } from '../test/helpers/discord-bench-peer.js';

/**
 * The fake Discord and the Kling simulator in a worker thread (test/helpers/discord-bench-peer.ts): in production
 * Discord is another machine, and sharing one event loop would bill the fake's own work to the bot.
 */
export interface Peer {
  /** The next message of this type (an `error` message from the peer throws). */
  next<T extends PeerMessage['type']>(type: T): Promise<Extract<PeerMessage, { type: T }>>;
  post(command: PeerCommand): void;
  close(): Promise<void>;
}

export function startPeer(setup: PeerSetup): Peer {
  // Node 20 workers ignore loader flags for their entry file, so a one-line bootstrap loads the TypeScript peer
  // through tsx.
  const peer = new URL('../test/helpers/discord-bench-peer.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(peer)}, ${JSON.stringify(import.meta.url)}))`;
  const worker = new Worker(bootstrap, { eval: true, workerData: setup });
  const inbox: PeerMessage[] = [];
  const waiters: Array<() => void> = [];
  let failure: Error | undefined;
  worker.on('message', (raw: unknown) => {
    inbox.push(PeerMessage.parse(raw));
    waiters.splice(0).forEach((wake) => wake());
  });
  worker.on('error', (err) => {
    failure = err;
    waiters.splice(0).forEach((wake) => wake());
  });
  const next = async <T extends PeerMessage['type']>(type: T): Promise<Extract<PeerMessage, { type: T }>> => {
    for (;;) {
      if (failure) throw failure;
      const i = inbox.findIndex((m) => m.type === type || m.type === 'error');
      const m = i >= 0 ? inbox.splice(i, 1)[0] : undefined;
      if (m?.type === 'error') throw new Error(`bench peer: ${m.message}`);
      if (m && m.type === type) return m as Extract<PeerMessage, { type: T }>;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return {
    next,
    post: (command) => worker.postMessage(command),
    async close() {
      worker.postMessage({ type: 'close' } satisfies PeerCommand);
      await next('closed').catch(() => undefined);
      await worker.terminate();
    },
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** The bot as `npm start` wires it (defaults but for the addresses and `env`), quiet, against the peer. */
export async function startBenchBot(setup: PeerSetup, apiUrl: string, simUrl: string, env: Record<string, string>) {
  const config = loadConfig({
    KLING_API_BASE_URL: simUrl,
    KLING_ACCESS_KEY: setup.accessKey,
    KLING_SECRET_KEY: setup.secretKey,
    DISCORD_TOKEN: setup.botToken,
    DISCORD_APPLICATION_ID: setup.applicationId,
    DISCORD_API_URL: apiUrl,
    DISCORD_GUILD_IDS: setup.guildId,
    ...env,
  });
  const discord = config.discord;
  if (!discord) throw new Error('bench: Discord is not configured');
  const log = createLogger({ level: 'error', secrets: config.secrets, out: { write: () => undefined } });
  const core = await createCore(config, log, { metrics: new Metrics() });
  const adapter = await startDiscordAdapter(core, discord, {});
  await core.tracker.start();
  return {
    /** Tasks the bot tracks, and those of them not created at Kling yet. */
    tracked: () => core.tracker.liveCount(),
    uncreated: () => core.tracker.countByState().get('pending') ?? 0,
    async close() {
      await adapter.stop();
      await core.close();
    },
  };
}
