import { freePort, REPO_ROOT, startBotProcess, type ChildBot } from './bot-process.js';
import { afterEach } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import { HttpServer } from '../../src/http.js';
import {
  startKlingSimulator,
  type KlingSimulator,
  type SimulatorOptions,
} from '../../tools/kling-simulator/simulator.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { startSlack } from '../../src/platforms/slack/index.js';
import type { PlatformAdapter } from '../../src/platforms/types.js';
import {
  blockTexts,
  findButtons,
  startFakeSlack,
  type FakeSlack,
  type FakeSlackOptions,
  type JsonObject,
  type MessageRecord,
} from '../fakes/slack/index.js';

/** Secret values the tests look for in everything recorded; long and unmistakable on purpose. */
export const SECRETS = {
  botToken: 'xoxb-4242-2424-harnessBotTokenValue',
  signingSecret: 'harness-signing-secret-5f3c9a7e1b',
  klingAccessKey: 'harness-kling-access-key-7d1e',
  klingSecretKey: 'harness-kling-secret-key-0a9b3c',
} as const;

/** Fast loopback timings: a task goes submitted → processing → succeed in about half a second. */
export const FAST_SIM: NonNullable<SimulatorOptions['timing']> = { submittedMs: 100, processingMs: 400 };

export async function startSim(
  timing: SimulatorOptions['timing'] = FAST_SIM,
  extra: Partial<SimulatorOptions> = {},
): Promise<KlingSimulator> {
  return startKlingSimulator({
    auth: { accessKey: SECRETS.klingAccessKey, secretKey: SECRETS.klingSecretKey },
    timing,
    ...extra,
  });
}

export async function startFake(
  teams: FakeSlackOptions['teams'],
  extra: Partial<FakeSlackOptions> = {},
): Promise<FakeSlack> {
  return startFakeSlack({ botToken: SECRETS.botToken, signingSecret: SECRETS.signingSecret, teams, ...extra });
}

/** The environment `npm start` would get, pointed at the simulator and the fake. */
export function botEnv(
  sim: KlingSimulator,
  fake: FakeSlack,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    KLING_API_BASE_URL: sim.url,
    KLING_ACCESS_KEY: SECRETS.klingAccessKey,
    KLING_SECRET_KEY: SECRETS.klingSecretKey,
    SLACK_BOT_TOKEN: SECRETS.botToken,
    SLACK_SIGNING_SECRET: SECRETS.signingSecret,
    SLACK_API_URL: fake.apiUrl,
    STORE_URL: 'memory://',
    POLL_INTERVAL_MS: '50',
    USER_MAX_ACTIVE_TASKS: '0',
    USER_MAX_DAILY_TASKS: '0',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export interface InProcessBot {
  core: Core;
  http: HttpServer;
  adapter: PlatformAdapter;
  port: number;
  /** Every log line the bot wrote (after secret scrubbing, as an operator would see it). */
  logs: string[];
  close(): Promise<void>;
}

/** The bot as `npm start` wires it (core, HTTP server, Slack adapter, tracker), in this process. */
export async function startBotInProcess(
  sim: KlingSimulator,
  fake: FakeSlack,
  env: Record<string, string> = {},
  /** Core options beyond the env (short download clocks, say). */
  coreOptions: Omit<NonNullable<Parameters<typeof createCore>[2]>, 'metrics'> = {},
): Promise<InProcessBot> {
  const config = loadConfig(botEnv(sim, fake, env));
  const slack = config.slack;
  if (!slack) throw new Error('harness: Slack is not configured');
  const logs: string[] = [];
  const log = createLogger({
    level: config.env.LOG_LEVEL,
    secrets: config.secrets,
    out: { write: (line: string) => logs.push(line) },
  });
  const core = await createCore(config, log, { ...coreOptions, metrics: new Metrics() });
  const http = new HttpServer(core);
  const adapter = await startSlack(core, slack, http);
  core.addPort(adapter.port);
  const port = await http.listen(0, '127.0.0.1');
  await core.tracker.start();
  fake.setBotUrl(`http://127.0.0.1:${port}/slack/events`);
  return {
    core,
    http,
    adapter,
    port,
    logs,
    async close() {
      http.stopAccepting();
      await adapter.stop();
      await core.close();
      await http.close();
    },
  };
}

export interface SlackRig {
  sim: KlingSimulator;
  fake: FakeSlack;
  bot: InProcessBot;
}

/**
 * The simulator, the fake Slack with `teams`, and the bot wired as `npm start` wires it. `later`
 * receives each one's close as it opens; run them last-first (the bot before what it talks to).
 */
export async function startSlackRig(
  teams: FakeSlackOptions['teams'],
  env: Record<string, string>,
  later: (close: () => Promise<unknown>) => void,
  /** The fake's options beyond the teams (channels the bot is not in, say). */
  fakeExtra: Partial<FakeSlackOptions> = {},
): Promise<SlackRig> {
  const sim = await startSim();
  later(() => sim.close());
  const fake = await startFake(teams, fakeExtra);
  later(() => fake.close());
  const bot = await startBotInProcess(sim, fake, env);
  later(() => bot.close());
  return { sim, fake, bot };
}

/**
 * startSlackRig per test, closed after each test (last opened first). Call at a describe's top
 * level; the returned function starts the rig.
 */
export function slackRigPerTest(
  teams: FakeSlackOptions['teams'],
  fakeExtra: Partial<FakeSlackOptions> = {},
): (env?: Record<string, string>) => Promise<SlackRig> {
  const closes: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    while (closes.length > 0) await closes.pop()?.();
  });
  return (env = {}) => startSlackRig(teams, env, (close) => closes.push(close), fakeExtra);
}

/** Every private answer sent through one command's response_url, as text. */
export const ephemeralTextOf = (fake: FakeSlack, responseUrlId: string): string =>
  fake.ephemerals
    .filter((e) => e.responseUrlId === responseUrlId)
    .map((e) => [e.text, ...blockTexts(e.blocks)].join('\n'))
    .join('\n');

/** Our task id, read from the card's Refresh button value (`kb:r:<id>`). */
export function taskIdOfCard(blocks: readonly JsonObject[] | undefined): string | undefined {
  for (const button of findButtons(blocks)) {
    const m = /^kb:[rgd]:(kb[0-9a-z]+)$/.exec(button.value ?? '');
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** The video URL the simulator produced for one of our tasks (it keys tasks by external_task_id = our id). */
export function expectedVideoUrl(sim: KlingSimulator, taskId: string): string | undefined {
  const task = sim.task(taskId);
  return task ? `${sim.origin}/media/${task.taskId}.mp4` : undefined;
}

/** True once the card shows its own task's video link. */
export function cardIsFinal(sim: KlingSimulator, message: MessageRecord): boolean {
  const id = taskIdOfCard(message.blocks);
  const url = id ? expectedVideoUrl(sim, id) : undefined;
  return Boolean(url && JSON.stringify(message.blocks).includes(url) && message.text.includes(url));
}

export { freePort, REPO_ROOT, startBotProcess, type ChildBot };
