import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { busyTable, runBusy, SCENARIO_NAMES, type BusyResult } from './busy.js';

/**
 * `npm run bench [-- --json] [-- --n 1000] [-- --only busy] [-- --standard new]`: the same simulated
 * workload through the naive tracker (one read and one edit per task per check) and ours, on each of
 * Kling's API standards, each side in its own process against a fresh Kling simulator process;
 * then the Discord ack latency through the fake; then the answer under a burst (bench/burst.ts); then the
 * takeover after a replica dies (bench/takeover.ts); then busy channels through the wire (bench/busy.ts), each
 * against the ideal pace.
 */
const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    n: { type: 'string', multiple: true },
    interval: { type: 'string' },
    'skip-discord': { type: 'boolean' },
    'skip-runtime': { type: 'boolean' },
    only: { type: 'string', multiple: true },
    standard: { type: 'string', multiple: true },
  },
});
// `--only trackers|ack|burst|runtime|media|takeover|busy|<busy run>` (repeatable or comma-separated) runs just
// those parts; the busy runs are listed in bench/busy.ts.
const only = new Set((values.only ?? []).flatMap((v) => v.split(',')).filter(Boolean));
const wants = (part: string) => only.size === 0 || only.has(part);
const busyWanted = SCENARIO_NAMES.filter((name) => wants('busy') || only.has(name));
const sizes = (values.n ?? ['100', '1000', '10000']).map(Number);
const interval = Number(values.interval ?? 500);
// `--standard legacy|new` (repeatable): Kling's API standards to run the trackers on; both by default.
const standards = (values.standard ?? ['legacy', 'new']).map((v): 'legacy' | 'new' => (v === 'new' ? 'new' : 'legacy'));
const tsx = ['--import', 'tsx'];
const Side = z.object({
  side: z.string(),
  standard: z.string(),
  n: z.number(),
  providerCallsPerTask: z.number(),
  editsPerTask: z.number(),
  rateLimited: z.number(),
  stalenessP50Ms: z.number().nullable(),
  stalenessP99Ms: z.number().nullable(),
  rssMB: z.number(),
  completed: z.number(),
  failedTasks: z.number(),
  seconds: z.number(),
});
type Side = z.infer<typeof Side>;

function firstLine(args: string[]): Promise<{ line: string; kill: () => void; done: Promise<void> }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (line) => resolve({ line, kill: () => child.kill('SIGTERM'), done }));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before printing`)));
  });
}

async function runSide(side: 'ours' | 'naive', n: number, standard: 'legacy' | 'new'): Promise<Side> {
  // Realistic shape, scaled down: ~2 s queued, ~9 s generating (18 naive checks per task).
  const sim = await firstLine([
    ...tsx,
    'tools/kling-simulator/simulator-cli.ts',
    ...(standard === 'new'
      ? ['--api-key', 'bench-api-key']
      : ['--access-key', 'bench-access-key', '--secret-key', 'bench-secret-key']),
    '--submitted-ms',
    String(interval * 4),
    '--processing-ms',
    String(interval * 14),
    '--jitter',
    '0.3',
  ]);
  const { url } = z.object({ url: z.string() }).parse(JSON.parse(sim.line));
  try {
    // Both sides run with the same heap cap, as in a memory-limited container: V8 otherwise lets
    // garbage pile up to hundreds of MB before collecting, which says nothing about live memory.
    const run = await firstLine([
      '--max-old-space-size=128',
      '--max-semi-space-size=4',
      ...tsx,
      'bench/run-side.ts',
      '--side',
      side,
      '--n',
      String(n),
      '--sim',
      url,
      '--interval',
      String(interval),
      '--standard',
      standard,
    ]);
    return Side.parse(JSON.parse(run.line));
  } finally {
    sim.kill();
    await sim.done;
  }
}

const ratio = (a: number | null, b: number | null) =>
  a === null || b === null || b === 0 ? '-' : `${(a / b).toFixed(2)}×`;
const fmt = (v: number | null, digits = 2) => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(digits));

const runs: Array<{ n: number; standard: string; ours: Side; naive: Side }> = [];
const STANDARD_NAMES = {
  legacy: "Kling's legacy API (/v1/…: one GET per task, or list pages)",
  new: "Kling's new API (GET /tasks in batches of 50, or POST /tasks pages of 500)",
};
for (const n of wants('trackers') ? sizes : []) {
  for (const standard of standards) {
    const naive = await runSide('naive', n, standard);
    const ours = await runSide('ours', n, standard);
    runs.push({ n, standard, ours, naive });
    const rows: Array<[string, keyof Side]> = [
      ['Kling calls / task', 'providerCallsPerTask'],
      ['edits / task', 'editsPerTask'],
      ['429s received', 'rateLimited'],
      ['staleness p50 (ms)', 'stalenessP50Ms'],
      ['staleness p99 (ms)', 'stalenessP99Ms'],
      ['peak RSS (MB)', 'rssMB'],
      ['tasks completed', 'completed'],
      ['wall time (s)', 'seconds'],
    ];
    process.stdout.write(
      `\n${n.toLocaleString('en-US')} in-flight tasks (POLL_INTERVAL_MS=${interval}), ${STANDARD_NAMES[standard]}\n`,
    );
    process.stdout.write(
      `${'metric'.padEnd(24)}${'naive'.padStart(12)}${'ours'.padStart(12)}${'ours/naive'.padStart(12)}\n`,
    );
    for (const [label, key] of rows) {
      const a = naive[key] as number | null;
      const b = ours[key] as number | null;
      process.stdout.write(
        `${label.padEnd(24)}${fmt(a).padStart(12)}${fmt(b).padStart(12)}${ratio(b, a).padStart(12)}\n`,
      );
    }
  }
}

const DiscordAck = z.object({
  n: z.number(),
  ackP50Ms: z.number(),
  ackP99Ms: z.number(),
  coldP50Ms: z.number(),
  coldP99Ms: z.number(),
});
let discord: z.infer<typeof DiscordAck> | undefined;
if (!values['skip-discord'] && wants('ack')) {
  // In a process of its own with the bot's V8 flags (bench/discord-ack-main.ts), as the burst bench below.
  const run = await firstLine([...tsx, 'bench/discord-ack-main.ts', '200', '--json']);
  await run.done;
  discord = DiscordAck.parse(JSON.parse(run.line));
  process.stdout.write(`\nDiscord (through the fake): ${discord.n} commands in flight\n`);
  process.stdout.write(
    `ack latency p50 ${discord.ackP50Ms} ms, p99 ${discord.ackP99Ms} ms (target p99 < 100 ms; the bot is tracking the previous burst's tasks)\n`,
  );
  process.stdout.write(
    `first burst after log-in: p50 ${discord.coldP50Ms} ms, p99 ${discord.coldP99Ms} ms (V8 still compiling, for reference)\n`,
  );
}

// The compiled bot on its own (bench/runtime.ts): start-up, RSS at rest / 1,000 / 10,000 in flight, stop.
let runtime: unknown;
if (!values['skip-runtime'] && wants('runtime')) {
  const { benchRuntime, printRuntime } = await import('./runtime.js');
  const runtimeRuns = await benchRuntime(sizes.filter((n) => n >= 1000));
  printRuntime(runtimeRuns, (s) => process.stdout.write(s));
  runtime = runtimeRuns;
}

// Memory while a 10 MB (Discord) / 40 MB (Slack) result moves, against the bot at rest (bench/media-rss.ts).
let media: unknown;
if (wants('media')) {
  const { benchMediaRss, mediaRssTable } = await import('./media-rss.js');
  const runs = await benchMediaRss();
  process.stdout.write(`\n${mediaRssTable(runs)}\n`);
  media = runs;
}

// 400 /video within a second over 20 channels: the bot's answer against a stand-in's (bench/burst.ts), in a process
// of its own with the bot's V8 flags (bench/burst-main.ts).
let burst: unknown;
if (!values['skip-discord'] && wants('burst')) {
  const { BurstResult, burstTable } = await import('./burst.js');
  const run = await firstLine([...tsx, 'bench/burst-main.ts', '--json']);
  await run.done;
  const result = BurstResult.parse(JSON.parse(run.line));
  process.stdout.write(`\n${burstTable(result)}\n`);
  burst = result;
}

// Two replicas on one Redis, the polling one SIGKILLed as its tasks finish (bench/takeover.ts).
let takeover: unknown;
if (wants('takeover')) {
  const { benchTakeover, takeoverTable } = await import('./takeover.js');
  const runs = await benchTakeover();
  process.stdout.write(`\n${takeoverTable(runs)}\n`);
  takeover = runs;
}

let busy: BusyResult[] = [];
if (busyWanted.length > 0) {
  process.stdout.write(
    `\nBusy channels through the wire (the bot as npm start runs it, fake Discord/Slack, Kling simulator): ${busyWanted.join(', ')}\n`,
  );
  busy = await runBusy(busyWanted, (r) => process.stderr.write(`  ${r.name} done in ${r.seconds} s\n`));
  process.stdout.write(`${busyTable(busy)}\n`);
}

if (values.json)
  process.stdout.write(
    `${JSON.stringify({ runs, ...(discord ? { discord } : {}), ...(runtime ? { runtime } : {}), ...(media ? { media } : {}), ...(burst ? { burst } : {}), ...(takeover ? { takeover } : {}), ...(busy.length > 0 ? { busy } : {}) })}\n`,
  );
process.exit(0);
