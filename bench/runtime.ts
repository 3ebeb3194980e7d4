/**
 * The bot as `npm start` runs it — bundled (`node dist/main.js`), no heap flags, the default
 * SQLite store — in its own process, with Discord and Slack connected to the fakes in this process:
 * start-up time to a connected, registered bot; RSS at rest; RSS with N tasks in flight (sent as
 * /video commands through the fake Discord gateway, in waves of 100, each once the previous
 * wave's cards are open); where the memory is (the bot's /metrics);
 * and the time a SIGTERM takes to a clean exit. One fresh bot process per size.
 *
 * Standalone: `tsx bench/runtime.ts [n ...]` (default 1000 10000; 0 = start, rest and stop only).
 * BENCH_DEBUG=1 prints RSS over 30 s at rest and the shutdown log; BENCH_SNAPSHOT=<ms> has the bot
 * write a heap snapshot (--heapsnapshot-signal) once loaded and waits that long for it;
 * BENCH_NODE_FLAGS="--max-semi-space-size=2" tries node flags and BENCH_ENTRY=dist-x/main.js another
 * build (experiments only, never the figures).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startKlingSimulator } from '../tools/kling-simulator/simulator.js';
import { snowflake, startFakeDiscord, type InteractionRecord } from '../test/fakes/discord/index.js';
import { startFakeSlack } from '../test/fakes/slack/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KEYS = { accessKey: 'bench-runtime-access-key', secretKey: 'bench-runtime-secret-key' };
const DISCORD_TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.bench.runtime-token';
const BENCH_METRICS_TOKEN = 'bench-runtime-metrics-token';
const SLACK = { botToken: 'xoxb-1-2-bench-runtime', signingSecret: 'bench-runtime-signing-secret' };
const CHANNELS = 100;
const USERS = 2000;

export interface MemoryBreakdown {
  rssMB: number;
  /** File-backed pages in RSS: the node binary's code and data (~41 MB on Node 20), libsql's addon, libc. */
  rssFileMB: number;
  /** Anonymous pages in RSS: V8's heap plus native (malloc) memory and thread stacks. */
  rssAnonMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  /** discord.js cache entries by cache (guilds, channels, users, members, roles). */
  discordCache: Record<string, number>;
  /** Tasks the tracker follows, by state. */
  tracked: number;
  /** The SQLite file and its write-ahead log. */
  storeMB: number;
}

export interface RuntimeRun {
  n: number;
  startMs: number;
  /** 3 s after start-up. */
  started: MemoryBreakdown;
  /** Idle until V8 shrank its heap (only measured in the first run), else the same as `started`. */
  rest: MemoryBreakdown;
  restSettled: boolean;
  /** All n tasks submitted to Kling and tracked (none finished yet), a few polls later. */
  loaded: MemoryBreakdown;
  /** The highest RSS seen while the n commands came in and were tracked. */
  peakRssMB: number;
  /** SIGTERM at rest (before the load) is not measured: the stop is with n tasks in flight. */
  stopMs: number;
  stoppedCleanly: boolean;
  /** CPU time the bot used from its start to the stop (start-up, rest and the whole load). */
  cpuMs: number;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** One `/proc/pid/status` field of one process in bytes (the bot alone, not its parent or the fakes). */
function statusBytes(pid: number, field: 'VmRSS' | 'RssFile' | 'RssAnon'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
}

const rssOf = (pid: number) => statusBytes(pid, 'VmRSS');

/** CPU time (user + system) one process has used so far, in ms, from Linux /proc. */
function cpuMsOf(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks (100 a
  // second).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()?.split(' ') ?? [];
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The figures the bot publishes on /metrics (see src/metrics.ts). */
async function breakdown(port: number, pid: number, storeFile: string): Promise<MemoryBreakdown> {
  const headers = { authorization: `Bearer ${BENCH_METRICS_TOKEN}` };
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers })).text();
  const memory = (kind: string) =>
    Number(new RegExp(`^klingbot_memory_bytes\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  const discordCache: Record<string, number> = {};
  for (const m of text.matchAll(/^klingbot_platform_cache_entries\{platform="discord",cache="(\w+)"\} (\d+)/gm))
    discordCache[m[1] ?? '?'] = Number(m[2]);
  let tracked = 0;
  for (const m of text.matchAll(/^klingbot_tasks_in_flight\{state="\w+"\} (\d+)/gm)) tracked += Number(m[1]);
  return {
    rssMB: mb(rssOf(pid)),
    rssFileMB: mb(statusBytes(pid, 'RssFile')),
    rssAnonMB: mb(statusBytes(pid, 'RssAnon')),
    heapUsedMB: mb(memory('heap_used')),
    heapTotalMB: mb(memory('heap_total')),
    externalMB: mb(memory('external')),
    arrayBuffersMB: mb(memory('array_buffers')),
    discordCache,
    tracked,
    storeMB: mb(fileSize(storeFile) + fileSize(`${storeFile}-wal`)),
  };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench runtime: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * What `npm start` runs after its build step, from package.json (`exec node [flags] dist/main.js`):
 * the script first, then any node flags it passes, so the bench measures exactly that command.
 */
function startCommand(): string[] {
  const pkg: unknown = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const start =
    typeof pkg === 'object' && pkg !== null ? Reflect.get(Reflect.get(pkg, 'scripts') ?? {}, 'start') : undefined;
  const argv = typeof start === 'string' ? start.replace(/^exec\s+/, '').split(/\s+/) : [];
  if (argv[0] !== 'node' || argv.length < 2)
    throw new Error(`bench runtime: package.json's start script is not \`node … script\`: ${String(start)}`);
  const script = argv[argv.length - 1] ?? '';
  return [script, ...argv.slice(1, -1)];
}

/** Builds dist/ if it is stale, as `npm start` does first. */
function build(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error('bench runtime: the build failed');
}

export async function benchRuntimeOne(n: number, options: { settle?: boolean } = {}): Promise<RuntimeRun> {
  const t = Date.parse('2024-02-01T00:00:00Z');
  const appId = snowflake(t);
  const guildId = snowflake(t + 1000);
  const channels = Array.from({ length: CHANNELS }, (_, i) => snowflake(t + 2000 + i));
  const users = Array.from({ length: USERS }, (_, i) => snowflake(t + 10_000 + i));
  // Tasks stay queued at Kling for the whole run: every one of the n is in flight when measured.
  const sim = await startKlingSimulator({ auth: KEYS, timing: { submittedMs: 3_600_000, processingMs: 1000 } });
  const discord = await startFakeDiscord({
    botToken: DISCORD_TOKEN,
    applicationId: appId,
    guilds: [{ id: guildId, channels }],
    channelEditLimit: null,
    defaultRouteLimit: null,
  });
  const slack = await startFakeSlack({ ...SLACK, teams: [{ id: 'TBENCH', channels: ['CBENCH'] }] });
  const dir = mkdtempSync(join(tmpdir(), 'kb-bench-runtime-'));
  const storeFile = join(dir, 'kling-bot.sqlite');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  let bot: ChildProcess | undefined;
  try {
    const env = {
      PATH: process.env['PATH'] ?? '',
      KLINGBOT_ENV_FILE: 'none',
      PORT: String(port),
      KLING_API_BASE_URL: sim.url,
      KLING_ACCESS_KEY: KEYS.accessKey,
      KLING_SECRET_KEY: KEYS.secretKey,
      DISCORD_TOKEN,
      DISCORD_APPLICATION_ID: appId,
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_GUILD_IDS: guildId,
      SLACK_BOT_TOKEN: SLACK.botToken,
      SLACK_SIGNING_SECRET: SLACK.signingSecret,
      SLACK_API_URL: slack.apiUrl,
      // Slack over HTTP: /metrics needs a token (README, METRICS_TOKEN).
      METRICS_TOKEN: BENCH_METRICS_TOKEN,
      STORE_URL: `sqlite://${storeFile}`,
      USER_MAX_ACTIVE_TASKS: '0',
      USER_MAX_DAILY_TASKS: '0',
      LOG_LEVEL: 'info',
    };
    const started = performance.now();
    // BENCH_NODE_FLAGS is for experiments only (e.g. what a V8 flag would change); the figures the bench prints use
    // none.
    const flags = (process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
    // BENCH_ENTRY runs another build of the bot (a copy of dist/ with one thing changed; experiments only).
    const [entry, ...startFlags] = process.env['BENCH_ENTRY'] ? [process.env['BENCH_ENTRY']] : startCommand();
    const child = spawn(
      process.execPath,
      [
        ...startFlags,
        ...flags,
        ...(process.env['BENCH_SNAPSHOT'] ? ['--heapsnapshot-signal=SIGUSR2'] : []),
        entry ?? '',
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    bot = child;
    let out = '';
    const keep = (chunk: Buffer) => {
      // Only the tail: 10,000 tasks of info logs would otherwise fill this process.
      out = (out + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let running = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!running && chunk.toString('utf8').includes('"kling-bot is running"')) running = true;
    });
    await until(() => running || child.exitCode !== null, 30_000, 'the bot start');
    const startMs = Math.round(performance.now() - started);
    if (!running) throw new Error(`bench runtime: the bot exited on start:\n${out}`);
    if (discord.commands({ guildId }).length === 0 || !discord.connected())
      throw new Error('bench runtime: the bot ran before registering and connecting to Discord');
    const pid = child.pid ?? 0;

    // Just after start-up: connected, nothing to do.
    await new Promise((r) => setTimeout(r, 3000));
    const started3s = await breakdown(port, pid, storeFile);
    // At rest: V8 gives back the heap it grew while loading only once the process has been idle
    // for a while (its memory reducer, some 20–40 s after start-up here); wait for that, up to 90 s.
    let rest = started3s;
    if (options.settle) {
      const settleBy = Date.now() + 90_000;
      while (Date.now() < settleBy && rest.heapTotalMB > started3s.heapTotalMB * 0.8) {
        await new Promise((r) => setTimeout(r, 5000));
        rest = await breakdown(port, pid, storeFile);
      }
    }

    if (process.env['BENCH_DEBUG']) {
      for (const wait of [5000, 5000, 10_000, 10_000]) {
        await new Promise((r) => setTimeout(r, wait));
        process.stderr.write(`rest +${wait} ms: ${JSON.stringify(await breakdown(port, pid, storeFile))}\n`);
      }
    }
    let peak = rssOf(pid);
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssOf(pid));
      } catch {
        // the bot is exiting
      }
    }, 100);
    try {
      // Commands arrive in waves of 100, each acknowledged before the next (as a busy server sends them).
      for (let i = 0; i < n; i += 100) {
        const wave: Array<Promise<InteractionRecord>> = [];
        for (let k = i; k < Math.min(n, i + 100); k++) {
          const user = users[k % users.length] ?? '';
          wave.push(
            discord.sendCommand({
              guildId,
              channelId: channels[k % channels.length] ?? '',
              user: { id: user, username: `user${k % users.length}` },
              name: 'video',
              options: [{ name: 'prompt', type: 3, value: `runtime bench scene ${k}` }],
            }),
          );
        }
        const recs = await Promise.all(wave);
        // The next wave comes once this one's cards are open: commands never arrive faster than
        // the bot can show them (discord.js sends at most 50 requests a second), so what is
        // measured is tasks in flight, not a backlog of unsent requests.
        await until(
          () => recs.every((r) => r.responses.some((x) => x.kind === 'edit')),
          120_000,
          'the cards of a wave',
        );
      }
      if (n > 0) {
        await until(() => sim.stats.creates >= n, 300_000, `${n} Kling creates`);
        // Two polls of everything in flight at the default POLL_INTERVAL_MS (5 s), as `npm start` runs.
        await new Promise((r) => setTimeout(r, 11_000));
      }
    } finally {
      clearInterval(sampler);
    }
    const loaded = await breakdown(port, pid, storeFile);
    if (process.env['BENCH_SNAPSHOT']) {
      child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, Number(process.env['BENCH_SNAPSHOT'])));
    }

    const cpuMs = cpuMsOf(pid);
    const stopStarted = performance.now();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
    const stopMs = Math.round(performance.now() - stopStarted);
    const stoppedCleanly = child.exitCode === 0 && out.includes('stopped cleanly');
    if (process.env['BENCH_DEBUG'])
      process.stderr.write(
        `${out
          .split('\n')
          .filter((l) => /shutting|stopped|tracker|discord|slack/.test(l))
          .slice(-12)
          .join('\n')}\n`,
      );
    return {
      n,
      startMs,
      started: started3s,
      rest,
      restSettled: options.settle === true,
      loaded,
      peakRssMB: mb(peak),
      stopMs,
      stoppedCleanly,
      cpuMs,
    };
  } finally {
    if (bot && bot.exitCode === null && bot.signalCode === null) bot.kill('SIGKILL');
    await discord.close();
    await slack.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchRuntime(sizes: readonly number[] = [1000, 10_000]): Promise<RuntimeRun[]> {
  build();
  const runs: RuntimeRun[] = [];
  for (const [i, n] of sizes.entries()) runs.push(await benchRuntimeOne(n, { settle: i === 0 }));
  return runs;
}

const fmtCache = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
const fmtMemory = (m: MemoryBreakdown) =>
  `RSS ${m.rssMB} MB (file-backed ${m.rssFileMB}, anonymous ${m.rssAnonMB}; V8 heap ${m.heapUsedMB}/${m.heapTotalMB} MB, external ${m.externalMB} MB, array buffers ${m.arrayBuffersMB} MB); discord.js cache: ${fmtCache(m.discordCache)}; tracked ${m.tracked}; store ${m.storeMB} MB`;

export function printRuntime(runs: readonly RuntimeRun[], write: (s: string) => void): void {
  const [script, ...startFlags] = startCommand();
  write(
    `\nThe bot as \`npm start\` runs it (${['node', ...startFlags, script].join(' ')}; src/v8-flags.ts sets its two V8 heap flags and --liftoff-only itself; SQLite store), Discord and Slack connected to the fakes\n`,
  );
  for (const r of runs) {
    write(`start-up to connected and registered: ${r.startMs} ms (target < 1000)\n`);
    write(`3 s after start-up: ${fmtMemory(r.started)}\n`);
    if (r.restSettled) write(`at rest (idle, after V8's memory reducer): ${fmtMemory(r.rest)} (target RSS <= 90 MB)\n`);
    if (r.n > 0)
      write(
        `${r.n.toLocaleString('en-US').padStart(6)} in flight:  ${fmtMemory(r.loaded)}; peak RSS ${r.peakRssMB} MB${r.n >= 10_000 ? ' (target <= 150 MB)' : ''}\n`,
      );
    write(`CPU the bot used from its start to the stop: ${(r.cpuMs / 1000).toFixed(1)} s\n`);
    write(
      `stop (SIGTERM, ${r.n.toLocaleString('en-US')} in flight) to exit: ${r.stopMs} ms, ${r.stoppedCleanly ? 'clean' : 'NOT clean'} (target < 2000)\n`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => Number.isInteger(x) && x >= 0);
  const runs = await benchRuntime(sizes.length > 0 ? sizes : [1000, 10_000]);
  printRuntime(runs, (s) => process.stdout.write(s));
  if (process.env['BENCH_JSON']) process.stdout.write(`${JSON.stringify(runs)}\n`);
  process.exit(0);
}
