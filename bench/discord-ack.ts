/**
 * Discord acknowledgement latency: `n` concurrent `/video` commands through the fake Discord
 * gateway into the real adapter; latency = the fake dispatching INTERACTION_CREATE → the deferred
 * callback arriving back at the fake (both stamped by the fake).
 *
 * The bot runs in this thread. The fake Discord and the Kling simulator run, by default, in a
 * worker thread of this process (test/helpers/discord-bench-peer.ts): in production Discord is
 * another machine, and sharing one event loop would bill the fake's own work to the bot.
 * `{ sameThread: true }` puts everything on one event loop, for comparison.
 *
 * Standalone: `tsx bench/discord-ack.ts [n]`.
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../src/config.js';
import { createCore } from '../src/core.js';
import { startKlingSimulator } from '../src/kling/simulator.js';
import { createLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { startDiscordAdapter } from '../src/platforms/discord/index.js';
import { snowflake, startFakeDiscord, type InteractionRecord } from '../test/fakes/discord/index.js';
import { PeerMessage, type PeerSetup } from '../test/helpers/discord-bench-peer.js';

const BOT_TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.bench.discord-ack-token';
const ACCESS_KEY = 'bench-discord-access-key';
const SECRET_KEY = 'bench-discord-secret-key';

export interface DiscordAckResult {
  n: number;
  ackP50Ms: number;
  ackP99Ms: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function setupFor(n: number): PeerSetup {
  const t = Date.parse('2024-01-01T00:00:00Z');
  return {
    botToken: BOT_TOKEN,
    applicationId: snowflake(t),
    guildId: snowflake(t + 1000),
    channels: Array.from({ length: 4 }, (_, i) => snowflake(t + 2000 + i)),
    userIds: Array.from({ length: n }, (_, i) => snowflake(t + 10_000 + i)),
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
  };
}

/** The bot as `npm start` wires it, quiet, against the given fake and simulator. */
async function startBot(setup: PeerSetup, apiUrl: string, simUrl: string) {
  const config = loadConfig({
    KLING_API_BASE_URL: simUrl,
    KLING_ACCESS_KEY: setup.accessKey,
    KLING_SECRET_KEY: setup.secretKey,
    DISCORD_TOKEN: setup.botToken,
    DISCORD_APPLICATION_ID: setup.applicationId,
    DISCORD_API_URL: apiUrl,
    DISCORD_GUILD_IDS: setup.guildId,
    STORE_URL: 'memory://',
    POLL_INTERVAL_MS: '100',
    USER_MAX_ACTIVE_TASKS: '0',
    USER_MAX_DAILY_TASKS: '0',
  });
  const discord = config.discord;
  if (!discord) throw new Error('bench: Discord is not configured');
  const log = createLogger({ level: 'error', secrets: config.secrets, out: { write: () => undefined } });
  const core = await createCore(config, log, { metrics: new Metrics() });
  const adapter = await startDiscordAdapter(core, discord, {});
  core.addPort(adapter.port);
  await core.tracker.start();
  return {
    async close() {
      await adapter.stop();
      await core.close();
    },
  };
}

const summarize = (n: number, latencies: readonly number[]): DiscordAckResult => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { n, ackP50Ms: percentile(sorted, 50), ackP99Ms: percentile(sorted, 99) };
};

/** Fake and simulator in a worker thread; the bot alone on this thread's event loop. */
async function withPeerThread(n: number): Promise<DiscordAckResult> {
  const setup = setupFor(n);
  // Node 20 workers ignore loader flags for their entry file, so a one-line bootstrap loads the TypeScript peer through tsx.
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
  try {
    const { apiUrl, simUrl } = await next('ready');
    const bot = await startBot(setup, apiUrl, simUrl);
    try {
      worker.postMessage({ type: 'burst' });
      const { latencies } = await next('acks');
      await next('settled');
      return summarize(n, latencies);
    } finally {
      await bot.close();
      worker.postMessage({ type: 'close' });
      await next('closed').catch(() => undefined);
    }
  } finally {
    await worker.terminate();
  }
}

/** Everything on this thread's event loop (the fake's own work then counts against the bot). */
async function sameThread(n: number): Promise<DiscordAckResult> {
  const setup = setupFor(n);
  const sim = await startKlingSimulator({ auth: { accessKey: ACCESS_KEY, secretKey: SECRET_KEY }, timing: { submittedMs: 200, processingMs: 800 } });
  const fake = await startFakeDiscord({ botToken: BOT_TOKEN, applicationId: setup.applicationId, guilds: [{ id: setup.guildId, channels: setup.channels }], channelEditLimit: null, defaultRouteLimit: null });
  const bot = await startBot(setup, fake.apiUrl, sim.url);
  try {
    const recs: InteractionRecord[] = await Promise.all(
      setup.userIds.map((id, i) =>
        fake.sendCommand({ guildId: setup.guildId, channelId: setup.channels[i % setup.channels.length] ?? '', user: { id, username: `user${i}` }, name: 'video', options: [{ name: 'prompt', type: 3, value: `benchmark scene ${i}` }] }),
      ),
    );
    await fake.waitFor(() => recs.every((r) => r.ackedAt !== undefined || r.lateCallbackAt.length > 0), 30_000);
    const result = summarize(n, recs.map((r) => r.ackLatencyMs ?? Number.POSITIVE_INFINITY));
    await fake.waitFor(() => recs.every((r) => r.responses.some((x) => x.kind === 'edit')), 30_000).catch(() => undefined);
    return result;
  } finally {
    await bot.close();
    await fake.close();
    await sim.close();
  }
}

export async function benchDiscordAck(n = 200, options: { sameThread?: boolean } = {}): Promise<DiscordAckResult> {
  return options.sameThread ? sameThread(n) : withPeerThread(n);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = Number(process.argv[2] ?? 200);
  const n = Number.isInteger(arg) && arg > 0 ? arg : 200;
  const line = (label: string, r: DiscordAckResult) => `discord ack (${label}): n=${r.n} p50=${r.ackP50Ms.toFixed(1)} ms p99=${r.ackP99Ms.toFixed(1)} ms\n`;
  process.stdout.write(line('bot thread, fake in a worker; target p99 < 100 ms', await benchDiscordAck(n)));
  process.stdout.write(line('bot and fake on one event loop', await benchDiscordAck(n, { sameThread: true })));
}
