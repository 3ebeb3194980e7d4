/**
 * `npm start` as the README says it: builds dist/ when it is stale, then runs compiled JavaScript
 * with plain node — one node process for the bot, no tsx or esbuild — that connects, registers,
 * and stops cleanly on SIGTERM.
 */
import { existsSync, readFileSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { FakeDiscord } from './fakes/discord/index.js';
import { REPO_ROOT } from './helpers/bot-process.js';
import { botEnv, startBotProcess, startFake, startSim, type ChildBot } from './helpers/discord-harness.js';

let sim: KlingSimulator | undefined;
let fake: FakeDiscord | undefined;
let bot: ChildBot | undefined;
/** The bot under npm: killing npm alone would leave it running if the test fails half-way. */
let botPid: number | undefined;
afterAll(async () => {
  await bot?.kill();
  if (botPid !== undefined && existsSync(`/proc/${botPid}`)) process.kill(botPid, 'SIGKILL');
  await fake?.close();
  await sim?.close();
});

/** npm itself, the way this suite was started (`npm test`) or from PATH. */
function npmCommand(): string[] {
  const cli = process.env['npm_execpath'];
  return cli && /\.[cm]?js$/.test(cli) ? [process.execPath, cli] : ['npm'];
}

/** pid → [parent pid, argv] for every process (Linux /proc). */
function processTable(): Map<number, { ppid: number; argv: string[] }> {
  const table = new Map<number, { ppid: number; argv: string[] }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name in parentheses may itself hold spaces: the fields after its last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      table.set(Number(name), { ppid, argv });
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

function descendants(root: number): Array<{ pid: number; argv: string[] }> {
  const table = processTable();
  const found: Array<{ pid: number; argv: string[] }> = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [pid, p] of table) {
      if (p.ppid !== parent) continue;
      found.push({ pid, argv: p.argv });
      queue.push(pid);
    }
  }
  return found;
}

const isNode = (argv: string[]) => /(^|\/)node$/.test(argv[0] ?? '');

describe('npm start runs the compiled bot', () => {
  it('rebuilds a stale dist/, then runs `node dist/src/main.js` as the only node process under npm, which stops cleanly on SIGTERM', async () => {
    const stamp = join(REPO_ROOT, 'dist', '.built');
    // Older than every source: the next start must rebuild.
    if (existsSync(stamp)) utimesSync(stamp, new Date(0), new Date(0));

    sim = await startSim({ submittedMs: 100, processingMs: 300 });
    fake = await startFake({ channelEditLimit: null });
    bot = await startBotProcess(botEnv(sim, fake, { LOG_LEVEL: 'info' }), 120_000, [...npmCommand(), 'start']);
    await fake.waitForReady();

    expect(bot.output()).toMatch(/compiling dist\/|compiling to dist\//);
    expect(existsSync(join(REPO_ROOT, 'dist', 'src', 'main.js'))).toBe(true);
    // The product only: no simulator, playground, tests or bench in dist/.
    expect(readdirSync(join(REPO_ROOT, 'dist')).sort()).toEqual(['.built', 'commands', 'src']);
    expect(existsSync(join(REPO_ROOT, 'dist', 'tools'))).toBe(false);

    const npmPid = bot.proc.pid ?? 0;
    const tree = descendants(npmPid);
    const nodes = tree.filter((p) => isNode(p.argv));
    botPid = nodes[0]?.pid;
    expect(nodes.map((p) => p.argv.slice(1))).toEqual([['dist/src/main.js']]);
    expect(tree.flatMap((p) => p.argv).join(' ')).not.toMatch(/tsx|esbuild/);
    expect(tree.map((p) => p.argv[0])).toEqual([nodes[0]?.argv[0]]);
    // The bot answers: its health endpoint is up on the port it was given.
    expect((await fetch(`http://127.0.0.1:${bot.port}/healthz`)).ok).toBe(true);
    // /metrics says where the memory is: the process's figures and discord.js's cache sizes.
    const metrics = await (await fetch(`http://127.0.0.1:${bot.port}/metrics`)).text();
    for (const kind of ['rss', 'heap_used', 'heap_total', 'external', 'array_buffers']) expect(metrics).toMatch(new RegExp(`^klingbot_memory_bytes\\{kind="${kind}"\\} [1-9]\\d*$`, 'm'));
    expect(metrics).toMatch(/^klingbot_platform_cache_entries\{platform="discord",cache="guilds"\} 2$/m);
    expect(metrics).toMatch(/^klingbot_platform_cache_entries\{platform="discord",cache="channels"\} 3$/m);

    // npm forwards SIGTERM to its script's process: that is the bot itself (the script execs node;
    // a shell in between would die of it and leave the bot running), which stops cleanly.
    await bot.stop();
    const gone = () => !existsSync(`/proc/${botPid ?? 0}`);
    const deadline = Date.now() + 10_000;
    while (!gone() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(gone()).toBe(true);
    expect(bot.output()).toContain('stopped cleanly');
  });
});
