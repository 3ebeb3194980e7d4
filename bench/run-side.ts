import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { CommandIO, Invocation } from '../commands/types.js';
import { loadConfig } from '../src/config.js';
import { createCore } from '../src/core.js';
import { CARD_BY_OUTBOX } from '../src/invocation.js';
import type { GenerationRequest, TaskRecord } from '../src/domain.js';
import { KlingClient } from '../src/kling/client.js';
import { silentLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { BenchPort } from './bench-port.js';
import { runNaive } from './naive-tracker.js';

/**
 * One side of the benchmark in its own process (so its RSS is its own): submits N tasks to the
 * simulator, follows them to the end, prints one JSON line of figures.
 */
const { values } = parseArgs({
  options: {
    side: { type: 'string' },
    n: { type: 'string' },
    sim: { type: 'string' },
    interval: { type: 'string' },
    'per-channel': { type: 'string' },
    standard: { type: 'string' },
  },
});
const side = values.side === 'naive' ? 'naive' : 'ours';
const n = Number(values.n ?? 100);
const interval = Number(values.interval ?? 500);
const perChannel = Number(values['per-channel'] ?? 2);
const simUrl = values.sim ?? '';
const keys = { accessKey: 'bench-access-key', secretKey: 'bench-secret-key' };
/** Kling's legacy standard (the pair, `/v1/…`) or its new one (an API key, model in the path, `GET /tasks`). */
const standard = values.standard === 'new' ? 'new' : 'legacy';
const apiKey = 'bench-api-key';

let peakRss = process.memoryUsage().rss;
let peakDetail = process.memoryUsage();
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss > peakRss) {
    peakRss = m.rss;
    peakDetail = m;
  }
}, 100);

const request = (i: number): GenerationRequest => ({
  kind: 'text2video',
  prompt: `benchmark clip ${i}`,
  model: standard === 'new' ? 'kling-3.0-turbo' : 'kling-v1-6',
  mode: 'std',
  duration: '5',
  aspect_ratio: '16:9',
});
const invFor = (i: number): Invocation => {
  const channel = `c${Math.floor(i / perChannel)}`;
  return {
    platform: 'console',
    guildId: 'bench',
    channelId: channel,
    user: { id: `u-${channel}`, name: 'bench', roleIds: [] },
  };
};

const port = new BenchPort();
const config = loadConfig(
  {
    KLING_API_BASE_URL: simUrl,
    ...(standard === 'new'
      ? { KLING_API_KEY: apiKey }
      : { KLING_ACCESS_KEY: keys.accessKey, KLING_SECRET_KEY: keys.secretKey }),
    STORE_URL: 'memory://',
    POLL_INTERVAL_MS: String(interval),
    USER_MAX_ACTIVE_TASKS: '0',
    USER_MAX_DAILY_TASKS: '0',
    LOG_LEVEL: 'silent',
  },
  { requirePlatform: false },
);
const started = Date.now();
let failedTasks = 0;
/** When our tracker learned a task was final (to split staleness into detection and edit). */
const detectedAt = new Map<string, number>();

if (side === 'ours') {
  const core = await createCore(config, silentLogger, { metrics: new Metrics() });
  core.addPort(port);
  await core.tracker.start();
  const io: CommandIO = { card: CARD_BY_OUTBOX, replyPrivate: async () => undefined };
  const records: TaskRecord[] = [];
  for (let i = 0; i < n; i += 50) {
    records.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, (_, k) =>
          core.services.tasks.submit(invFor(i + k), io, request(i + k)),
        ),
      )),
    );
  }
  while (port.finalShownAt.size < n && Date.now() - started < 600_000) await new Promise((r) => setTimeout(r, 50));
  for (const rec of records) {
    const final = await core.store.get(rec.id);
    if (final?.state !== 'succeed') failedTasks++;
    if (final?.finishedAt) detectedAt.set(rec.id, final.finishedAt);
  }
  await core.close();
} else {
  const kling = new KlingClient({
    baseUrl: simUrl,
    auth: standard === 'new' ? { type: 'bearer', apiKey } : { type: 'jwt', ...keys },
  });
  const records: TaskRecord[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async (_, k) => {
        const inv = invFor(i + k);
        const id = `naive${i + k}`;
        const task = await kling.create(request(i + k), id, undefined, standard);
        const now = Date.now();
        const rec: TaskRecord = {
          id,
          scope: {
            platform: 'console',
            guildId: inv.guildId,
            channelId: inv.channelId,
            userId: inv.user.id,
            userName: 'bench',
          },
          request: request(i + k),
          state: task.status,
          klingTaskId: task.taskId,
          standard,
          createdAt: now,
          updatedAt: now,
        };
        return rec;
      }),
    );
    records.push(...batch);
  }
  await runNaive(records, kling, port, interval);
}
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);

const Stats = z.object({
  stats: z.object({ creates: z.number(), gets: z.number(), lists: z.number() }),
  tasks: z.array(z.object({ externalTaskId: z.string().nullish(), taskId: z.string(), finishedAt: z.number() })),
});
const sim = Stats.parse(await (await fetch(`${new URL(simUrl).origin}/__sim/stats`)).json());
const finishedBy = new Map(sim.tasks.map((t) => [t.externalTaskId ?? t.taskId, t.finishedAt]));
const staleness: number[] = [];
for (const [taskId, shownAt] of port.finalShownAt) {
  const finishedAt = finishedBy.get(taskId);
  if (finishedAt !== undefined) staleness.push(Math.max(0, shownAt - finishedAt));
}
staleness.sort((a, b) => a - b);
const detection = [...detectedAt].map(([id, at]) => at - (finishedBy.get(id) ?? at)).sort((a, b) => a - b);
if (process.env.BENCH_DEBUG)
  process.stderr.write(
    `peak ${JSON.stringify(Object.fromEntries(Object.entries(peakDetail).map(([k, v]) => [k, Math.round(v / 1048576)])))}\n`,
  );
if (process.env.BENCH_DEBUG)
  process.stderr.write(
    `detection p50 ${detection[detection.length >> 1]} p99 ${detection[Math.floor(detection.length * 0.99)]}\n`,
  );
const pct = (p: number) => staleness[Math.min(staleness.length - 1, Math.floor((p / 100) * staleness.length))] ?? NaN;
const calls = sim.stats.creates + sim.stats.gets + sim.stats.lists;
process.stdout.write(
  `${JSON.stringify({
    side,
    standard,
    n,
    providerCallsPerTask: calls / n,
    editsPerTask: port.edits / n,
    rateLimited: port.rateLimited,
    stalenessP50Ms: pct(50),
    stalenessP99Ms: pct(99),
    rssMB: Math.round((peakRss / 1048576) * 10) / 10,
    completed: port.finalShownAt.size,
    failedTasks,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  })}\n`,
);
process.exit(0);
