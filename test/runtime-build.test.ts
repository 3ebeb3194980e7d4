/**
 * `npm start` as the README says it: builds dist/ (the bundle) when it is stale, then runs it with
 * plain node — one node process for the bot, no tsx or esbuild — that connects to Discord and Slack,
 * registers, takes a /video on each through to its video with the default SQLite store (libsql, the
 * one native library the bundle leaves to Node, or Node's own node:sqlite), and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sqliteDriver } from '../src/store/sqlite-store.js';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { FakeDiscord } from './fakes/discord/index.js';
import type { FakeSlack } from './fakes/slack/index.js';
import { REPO_ROOT } from './helpers/bot-process.js';
import {
  ALICE,
  APP_ID,
  botEnv,
  CH_A1,
  GUILD_A,
  SECRETS,
  cardIsFinal,
  cardOf,
  startBotProcess,
  startFake,
  startSim,
  video,
  type ChildBot,
} from './helpers/discord-harness.js';
import * as slackHarness from './helpers/slack-harness.js';

let sim: KlingSimulator | undefined;
let fake: FakeDiscord | undefined;
let slack: FakeSlack | undefined;
let bot: ChildBot | undefined;
/** The bot under npm: killing npm alone would leave it running if the test fails half-way. */
let botPid: number | undefined;
const storeDir = mkdtempSync(join(tmpdir(), 'kb-runtime-build-'));
const loadedOut = join(storeDir, 'loaded-modules.txt');
afterAll(async () => {
  await bot?.kill();
  if (botPid !== undefined && existsSync(`/proc/${botPid}`)) process.kill(botPid, 'SIGKILL');
  await fake?.close();
  await slack?.close();
  await sim?.close();
  rmSync(storeDir, { recursive: true, force: true });
});

/** What the build bundled, from the metafile it writes beside the bundle. */
const BuildMeta = z.object({ inputs: z.record(z.string(), z.object({ bytes: z.number() })) });

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
  it('rebuilds a stale dist/, then runs `node dist/main.js` as the only node process under npm, which serves both platforms and stops cleanly on SIGTERM', async () => {
    const stamp = join(REPO_ROOT, 'dist', '.built');
    // Older than every source: the next start must rebuild.
    if (existsSync(stamp)) utimesSync(stamp, new Date(0), new Date(0));

    sim = await startSim({ submittedMs: 100, processingMs: 300 });
    fake = await startFake({ channelEditLimit: null });
    slack = await slackHarness.startFake([{ id: 'T0BUILD', domain: 'build', channels: ['C0BUILD'] }]);
    const slackEnv = slackHarness.botEnv(sim, slack);
    const env = botEnv(sim, fake, {
      LOG_LEVEL: 'info',
      STORE_URL: `sqlite://${join(storeDir, 'kling-bot.sqlite')}`,
      SLACK_BOT_TOKEN: slackEnv['SLACK_BOT_TOKEN'] ?? '',
      SLACK_SIGNING_SECRET: slackEnv['SLACK_SIGNING_SECRET'] ?? '',
      SLACK_API_URL: slack.apiUrl,
      NODE_OPTIONS: `--require ${join(REPO_ROOT, 'test', 'helpers', 'loaded-modules.cjs')}`,
      KLINGBOT_TEST_LOADED_OUT: loadedOut,
      // Slack over HTTP: /metrics is 404 without a token (README, METRICS_TOKEN).
      METRICS_TOKEN: 'build-metrics-token-31',
    });
    bot = await startBotProcess(env, 120_000, [...npmCommand(), 'start']);
    await fake.waitForReady();
    // The fake counts the bot ready once its gateway session is; the guilds (and their channels) follow it.
    // The bot says so once it has them, and only then does /metrics count them (below).
    const started = bot;
    await fake.waitFor(() => started.output().includes('"msg":"discord connected"'), 30_000);

    expect(bot.output()).toMatch(/building dist\/|rebuilding dist\//);
    expect(existsSync(join(REPO_ROOT, 'dist', 'main.js'))).toBe(true);
    // The product only: its three programs, their chunks, and nothing of the simulator, playground, tests or bench.
    expect(
      readdirSync(join(REPO_ROOT, 'dist'))
        .filter((f) => !/\.(map|LEGAL\.txt)$/.test(f))
        .sort(),
    ).toEqual(['.built', 'build-meta.json', 'chunks', 'main.js', 'register.js', 'rehost.js']);
    const inputs = Object.keys(
      BuildMeta.parse(JSON.parse(readFileSync(join(REPO_ROOT, 'dist', 'build-meta.json'), 'utf8'))).inputs,
    );
    expect(inputs.filter((f) => /^(tools|test|bench)\//.test(f))).toEqual([]);
    expect(inputs).toContain('src/main.ts');
    expect(inputs.some((f) => f.startsWith('node_modules/discord.js/'))).toBe(true);
    expect(inputs.some((f) => f.startsWith('node_modules/@slack/bolt/'))).toBe(true);
    // V8 keeps each file's source in memory, two bytes a character if one character is not Latin-1:
    // one em dash in a regex literal doubled the Slack chunk (0.8 → 1.6 MB).
    const scripts = [
      'main.js',
      'register.js',
      'rehost.js',
      ...readdirSync(join(REPO_ROOT, 'dist', 'chunks'))
        .filter((f) => f.endsWith('.js'))
        .map((f) => `chunks/${f}`),
    ];
    expect(scripts.filter((f) => /[^\p{ASCII}]/u.test(readFileSync(join(REPO_ROOT, 'dist', f), 'utf8')))).toEqual([]);

    const npmPid = bot.proc.pid ?? 0;
    const tree = descendants(npmPid);
    const nodes = tree.filter((p) => isNode(p.argv));
    botPid = nodes[0]?.pid;
    expect(nodes.map((p) => p.argv.slice(1))).toEqual([['dist/main.js']]);
    expect(tree.flatMap((p) => p.argv).join(' ')).not.toMatch(/tsx|esbuild/);
    expect(tree.map((p) => p.argv[0])).toEqual([nodes[0]?.argv[0]]);
    // The bot answers: its health endpoint is up on the port it was given.
    expect((await fetch(`http://127.0.0.1:${bot.port}/healthz`)).ok).toBe(true);
    // /metrics says where the memory is: the process's figures and discord.js's cache sizes.
    const metrics = await (
      await fetch(`http://127.0.0.1:${bot.port}/metrics`, {
        headers: { authorization: 'Bearer build-metrics-token-31' },
      })
    ).text();
    for (const kind of ['rss', 'heap_used', 'heap_total', 'external', 'array_buffers'])
      expect(metrics).toMatch(new RegExp(`^klingbot_memory_bytes\\{kind="${kind}"\\} [1-9]\\d*$`, 'm'));
    expect(metrics).toMatch(/^klingbot_platform_cache_entries\{platform="discord",cache="guilds"\} 2$/m);
    expect(metrics).toMatch(/^klingbot_platform_cache_entries\{platform="discord",cache="channels"\} 3$/m);

    // A /video on each platform, through to its video: the bundled adapters, Kling client and store work.
    const [kling, discord, workspace] = [sim, fake, slack];
    const discordCommand = await discord.sendCommand(video(CH_A1, ALICE, 'a bundled fox'));
    await discord.waitFor(() => cardIsFinal(kling, cardOf(discord, discordCommand)), 20_000);
    workspace.setBotUrl(`http://127.0.0.1:${bot.port}/slack/events`);
    const slackCommand = await workspace.sendCommand({
      teamId: 'T0BUILD',
      channelId: 'C0BUILD',
      userId: 'U0BUILD',
      command: '/video',
      text: 'a bundled owl',
    });
    expect(slackCommand.status).toBe(200);
    await workspace.waitFor(
      () => workspace.messagesIn('C0BUILD').some((m) => slackHarness.cardIsFinal(kling, m)),
      20_000,
    );
    expect(kling.stats.creates).toBe(2);

    // npm forwards SIGTERM to its script's process: that is the bot itself (the script execs node;
    // a shell in between would die of it and leave the bot running), which stops cleanly.
    await bot.stop();
    const gone = () => !existsSync(`/proc/${botPid ?? 0}`);
    const deadline = Date.now() + 10_000;
    while (!gone() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(gone()).toBe(true);
    expect(bot.output()).toContain('stopped cleanly');
    // The bundle is what ran: of node_modules, Node itself loaded only what the build leaves out.
    const loaded = readFileSync(loadedOut, 'utf8')
      .split('\n')
      .filter((f) => f.includes('/node_modules/'));
    const packages = new Set(loaded.map((f) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]));
    expect(
      [...packages].filter(
        (p) => !/^(libsql|@libsql\/[\w-]+|@neon-rs\/load|detect-libc|iconv-lite|safer-buffer)$/.test(p ?? ''),
      ),
    ).toEqual([]);
    // The default store's driver on this Node: libsql on Node 20, node:sqlite (built in) from 22.13.
    expect(packages.has('libsql')).toBe(sqliteDriver().name === 'libsql');
  });

  it('runs the bundled `npm run register` program (dist/register.js) over REST', async () => {
    const discord = fake ?? (await startFake({ channelEditLimit: null }));
    fake = discord;
    const env = {
      PATH: process.env['PATH'] ?? '',
      KLINGBOT_ENV_FILE: 'none',
      DISCORD_TOKEN: SECRETS.botToken,
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_GUILD_IDS: GUILD_A,
    };
    // Built by the test above (or by an earlier `npm start`): `npm run register` builds first too.
    // Asynchronously: the fake answering its REST calls runs in this process.
    const proc = spawn(process.execPath, ['dist/register.js'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = { stdout: '', stderr: '', status: null as number | null };
    proc.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString('utf8')));
    proc.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString('utf8')));
    run.status = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`registered \\d+ commands \\(/video, .*\\) in guild ${GUILD_A}`));
    expect(discord.commands({ guildId: GUILD_A }).length).toBeGreaterThan(0);
  });
});
