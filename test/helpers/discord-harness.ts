import { freePort, REPO_ROOT, startBotProcess, type ChildBot } from './bot-process.js';
import { afterEach, expect } from 'vitest';
import { closeInOrder } from './close-in-order.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import {
  startKlingSimulator,
  type KlingSimulator,
  type SimulatorOptions,
} from '../../tools/kling-simulator/simulator.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import {
  startDiscordAdapter,
  type DiscordAdapter,
  type DiscordAdapterOptions,
} from '../../src/platforms/discord/index.js';
import {
  snowflake,
  startFakeDiscord,
  type FakeDiscord,
  type FakeDiscordOptions,
  type FakeUser,
  type InteractionRecord,
  type MessageRecord,
  type SendCommandInput,
} from '../fakes/discord/index.js';

/** Secret values looked for in everything recorded; long and unmistakable on purpose. */
export const SECRETS = {
  botToken: 'MTIzNDU2Nzg5MDEyMzQ1Njc4.discord-harness.bot-token-value-93fd1',
  klingAccessKey: 'discord-harness-kling-access-key-2c7e',
  klingSecretKey: 'discord-harness-kling-secret-key-b41f9a',
} as const;

const at = (iso: string) => snowflake(Date.parse(iso));
export const APP_ID = at('2023-01-01T00:00:00Z');
export const GUILD_A = at('2023-02-01T00:00:00Z');
export const GUILD_B = at('2023-02-01T00:00:01Z');
export const CH_A1 = at('2023-02-02T00:00:00Z');
export const CH_A2 = at('2023-02-02T00:00:01Z');
export const CH_B1 = at('2023-02-02T00:00:02Z');
export const ROLE_ARTIST = at('2023-02-03T00:00:00Z');

export const ALICE: FakeUser = { id: at('2023-03-01T00:00:00Z'), username: 'alice', roles: [ROLE_ARTIST] };
export const BOB: FakeUser = { id: at('2023-03-01T00:00:01Z'), username: 'bob' };
export const carol = (n: number): FakeUser => ({
  id: snowflake(Date.parse('2023-03-02T00:00:00Z') + n * 1000),
  username: `carol${n}`,
});

/** Fast loopback timings: a task goes submitted → processing → succeed in about half a second. */
export const FAST_SIM: NonNullable<SimulatorOptions['timing']> = { submittedMs: 100, processingMs: 400 };

export function startSim(
  timing: SimulatorOptions['timing'] = FAST_SIM,
  extra: Partial<SimulatorOptions> = {},
): Promise<KlingSimulator> {
  return startKlingSimulator({
    auth: { accessKey: SECRETS.klingAccessKey, secretKey: SECRETS.klingSecretKey },
    timing,
    ...extra,
  });
}

export function startFake(extra: Partial<FakeDiscordOptions> = {}): Promise<FakeDiscord> {
  return startFakeDiscord({
    botToken: SECRETS.botToken,
    applicationId: APP_ID,
    guilds: [
      { id: GUILD_A, name: 'Studio A', channels: [CH_A1, CH_A2], roles: [ROLE_ARTIST] },
      { id: GUILD_B, name: 'Studio B', channels: [CH_B1] },
    ],
    ...extra,
  });
}

/** The environment `npm start` would get, pointed at the simulator and the fake. */
export function botEnv(
  sim: KlingSimulator,
  fake: FakeDiscord,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    KLING_API_BASE_URL: sim.url,
    KLING_ACCESS_KEY: SECRETS.klingAccessKey,
    KLING_SECRET_KEY: SECRETS.klingSecretKey,
    DISCORD_TOKEN: SECRETS.botToken,
    DISCORD_APPLICATION_ID: APP_ID,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_GUILD_IDS: `${GUILD_A},${GUILD_B}`,
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
  adapter: DiscordAdapter;
  /** Every log line the bot wrote (after scrubbing, as an operator would see it). */
  logs: string[];
  /** Stops the adapter, then the core (its outboxes drained); later calls wait for the same close. */
  close(): Promise<void>;
}

/** The bot as `npm start` wires it (core, Discord adapter, tracker), in this process. */
export async function startBot(
  sim: KlingSimulator,
  fake: FakeDiscord,
  opts: {
    env?: Record<string, string>;
    adapter?: DiscordAdapterOptions;
    core?: Omit<NonNullable<Parameters<typeof createCore>[2]>, 'metrics'>;
  } = {},
): Promise<InProcessBot> {
  const config = loadConfig(botEnv(sim, fake, opts.env));
  if (!config.discord) throw new Error('harness: Discord is not configured');
  const logs: string[] = [];
  const log = createLogger({
    level: config.env.LOG_LEVEL,
    secrets: config.secrets,
    out: { write: (line: string) => logs.push(line) },
  });
  const core = await createCore(config, log, { ...opts.core, metrics: new Metrics() });
  const adapter = await startDiscordAdapter(core, config.discord, opts.adapter).catch(async (err: unknown) => {
    await core.close();
    throw err;
  });
  await core.tracker.start();
  let closing: Promise<void> | undefined;
  return {
    core,
    adapter,
    logs,
    // Once, however often asked: a test may stop its bots before its rig closes them.
    close: () =>
      (closing ??= (async () => {
        await adapter.stop();
        await core.close();
      })()),
  };
}

/** What discordRigPerTest's start takes: the bot's options, and the simulator's and the fake's. */
export type DiscordRigOptions = Parameters<typeof startBot>[2] & {
  /** The simulator's timing (FAST_SIM when left out). */
  sim?: SimulatorOptions['timing'];
  /** The simulator's other options (its clock, say). */
  simExtra?: Partial<SimulatorOptions>;
  fake?: Partial<FakeDiscordOptions>;
  /** Run once the simulator and the fake are up, before any bot starts (what an earlier run left, say). */
  beforeBot?: (rig: { s: KlingSimulator; f: FakeDiscord }) => Promise<void>;
  /** How many bots to start on the one simulator and fake, all with the same options (default 1). */
  replicas?: number;
};

export interface DiscordRig {
  s: KlingSimulator;
  f: FakeDiscord;
  /** The first bot. */
  b: InProcessBot;
  /** Every bot started, the first one first (more than one with `replicas`). */
  bots: InProcessBot[];
}

/** What every test of a describe (or file) checks after it, on a rig it started. */
export interface DiscordRigPerTestOptions {
  /** Run after each test that started a rig, before the rig closes (it closes even if this throws). */
  afterTest?: (rig: { s: KlingSimulator; f: FakeDiscord }) => void | Promise<void>;
}

/**
 * A simulator, a fake Discord and the bot per test, closed after each test (the bots first). Call
 * at a describe's top level (or a file's); the returned function starts them.
 */
export function discordRigPerTest(
  each: DiscordRigPerTestOptions = {},
): (opts?: DiscordRigOptions) => Promise<DiscordRig> {
  let open: Array<{ close(): Promise<unknown> }> = [];
  let started: { s: KlingSimulator; f: FakeDiscord } | undefined;
  afterEach(async () => {
    const closing = open;
    const checking = started;
    open = [];
    started = undefined;
    try {
      if (checking && each.afterTest) await each.afterTest(checking);
    } finally {
      await closeInOrder(closing);
    }
  });
  return async ({ sim, simExtra, fake, beforeBot, replicas = 1, ...bot } = {}) => {
    const s = await startSim(sim, simExtra);
    open.unshift(s);
    const f = await startFake(fake);
    open.unshift(f);
    started = { s, f };
    await beforeBot?.({ s, f });
    const bots: InProcessBot[] = [];
    for (let i = 0; i < replicas; i++) {
      const b = await startBot(s, f, bot);
      open.unshift(b);
      bots.push(b);
    }
    const [b] = bots;
    if (!b) throw new Error('harness: replicas must be at least 1');
    return { s, f, b, bots };
  };
}

/** `/video` as a user would type it. */
export function video(channelId: string, user: FakeUser, prompt: string, guildId = GUILD_A) {
  return { guildId, channelId, user, name: 'video', options: [{ name: 'prompt', type: 3, value: prompt }] };
}

/** Our task id, read from the card's Refresh button (`kb:r:<id>`). */
export function taskIdOf(message: MessageRecord | undefined): string | undefined {
  for (const id of customIds(message)) {
    const m = /^kb:[rgd]:(kb[0-9a-z]+)$/.exec(id);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** Every component of a message, depth-first (a V2 card nests its rows inside a container). */
export function allComponents(message: MessageRecord | undefined): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const walk = (c: unknown): void => {
    if (!c || typeof c !== 'object' || Array.isArray(c)) return;
    const o = c as Record<string, unknown>;
    out.push(o);
    if (Array.isArray(o['components'])) o['components'].forEach(walk);
    walk(o['accessory']);
  };
  (message?.components ?? []).forEach(walk);
  return out;
}

/** Every link button URL on a message. */
export function linkUrls(message: MessageRecord | undefined): string[] {
  return allComponents(message)
    .filter((b) => b['type'] === 2 && b['style'] === 5 && typeof b['url'] === 'string')
    .map((b) => b['url'] as string);
}

/** The custom ids of every (non-link, enabled) button on a message. */
export function customIds(message: MessageRecord | undefined): string[] {
  return allComponents(message)
    .filter((b) => typeof b['custom_id'] === 'string' && b['disabled'] !== true)
    .map((b) => b['custom_id'] as string);
}

/** What a V2 card's media gallery shows: each item's URL (`attachment://…` for an uploaded file). */
export function galleryUrls(message: MessageRecord | undefined): string[] {
  const urls: string[] = [];
  for (const c of allComponents(message)) {
    if (c['type'] !== 12 || !Array.isArray(c['items'])) continue;
    for (const item of c['items'] as Array<{ media?: { url?: unknown } }>)
      if (typeof item.media?.url === 'string') urls.push(item.media.url);
  }
  return urls;
}

/** True when the message is a Components V2 message (flag 1 << 15). */
export const isV2 = (message: MessageRecord | undefined) => ((message?.flags ?? 0) & (1 << 15)) !== 0;

/** The card's words: its embeds (older form) or its text displays (V2). */
export const embedText = (message: MessageRecord | undefined) =>
  isV2(message)
    ? JSON.stringify(allComponents(message).filter((c) => c['type'] === 10))
    : JSON.stringify(message?.embeds ?? []);

/** The video URL the simulator made for one of our tasks (it keys tasks by external_task_id = our id). */
export function expectedVideoUrl(sim: KlingSimulator, taskId: string): string | undefined {
  const task = sim.task(taskId);
  return task ? `${sim.origin}/media/${task.taskId}.mp4` : undefined;
}

/**
 * True once the card shows its own task's video: a V2 card in its gallery (Kling's link, or the
 * uploaded copy), an older card in its content (inline player); and Kling's link as a button
 * unless the copy was uploaded.
 */
export function cardIsFinal(sim: KlingSimulator, message: MessageRecord | undefined): boolean {
  const id = taskIdOf(message);
  const url = id ? expectedVideoUrl(sim, id) : undefined;
  if (!url || !message || message.deleted) return false;
  if (!isV2(message)) return message.content === url && linkUrls(message).includes(url);
  const shown = galleryUrls(message);
  const uploaded = shown.some(
    (u) => u.startsWith('attachment://') && message.attachments.some((a) => `attachment://${a.filename}` === u),
  );
  return message.content === '' && (uploaded || (shown.includes(url) && linkUrls(message).includes(url)));
}

/** The public card an interaction produced (its original response). */
export function cardOf(fake: FakeDiscord, rec: InteractionRecord): MessageRecord | undefined {
  return rec.originalMessageId ? fake.messages.get(rec.originalMessageId) : undefined;
}

/**
 * The message currently standing for the card a command opened: the card itself, or the reply
 * posted in its place when the card could not be edited.
 */
export function latestCard(fake: FakeDiscord, rec: InteractionRecord): MessageRecord | undefined {
  const card = cardOf(fake, rec);
  if (!card) return undefined;
  // A card posted in its place has components; the requester's "ready" mention, also a reply, has none.
  const reply = [...fake.messages.values()].find((m) => m.replyTo === card.id && !m.deleted && m.components.length > 0);
  return reply ?? card;
}

/** The public cards in these channels (the requester's "ready" mention is a message without components). */
export const publicCards = (fake: FakeDiscord, channels: readonly string[]): MessageRecord[] =>
  channels
    .flatMap((ch) => fake.messagesIn(ch))
    .filter((m) => !m.deleted && (m.flags & 64) === 0 && m.components.length > 0);

/** Public messages in these channels that mention someone (cards never do): the "ready" mentions. */
export const mentionsIn = (fake: FakeDiscord, channels: readonly string[]): MessageRecord[] =>
  channels.flatMap((ch) => fake.messagesIn(ch)).filter((m) => !m.deleted && /<@!?\d+>/.test(m.content));

/** Ephemeral messages an interaction produced (reply, or follow-ups), newest last. */
export function ephemeralAnswers(fake: FakeDiscord, rec: InteractionRecord): MessageRecord[] {
  return [...fake.messages.values()].filter((m) => m.interactionId === rec.id && (m.flags & 64) !== 0 && !m.deleted);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A command the bot must refuse, and what its private answer must say. */
export interface RefusalCase {
  input: SendCommandInput;
  says: RegExp[];
}

/**
 * Sends each case in turn and checks the bot's refusals: every answer private, saying what its case
 * asks and that nothing was sent to Kling; nothing public in their channels and no call to Kling.
 * Returns the interactions, in the order of the cases.
 */
export async function expectRefusals(
  sim: KlingSimulator,
  fake: FakeDiscord,
  cases: readonly RefusalCase[],
): Promise<InteractionRecord[]> {
  const recs: InteractionRecord[] = [];
  for (const c of cases) recs.push(await fake.sendCommand(c.input));
  await fake.waitFor(() => recs.every((r) => ephemeralAnswers(fake, r).length > 0), 5000);
  for (const [i, rec] of recs.entries()) {
    const answer = embedText(ephemeralAnswers(fake, rec)[0]);
    for (const re of cases[i]?.says ?? []) expect(answer, `case ${i}`).toMatch(re);
    expect(answer).toContain('Nothing was sent to Kling');
    expect(rec.ephemeral, `case ${i}`).toBe(true);
  }
  for (const channelId of new Set(cases.map((c) => c.input.channelId)))
    expect(fake.messagesIn(channelId).filter((m) => (m.flags & 64) === 0)).toEqual([]);
  expect(sim.calls).toEqual([]);
  return recs;
}

/**
 * No secret in anything Discord recorded (message contents and edits, request bodies) or in the
 * bot's log. Request headers are skipped: the bot token belongs in Authorization.
 */
export function expectNoSecrets(fake: FakeDiscord, logs: readonly string[]): void {
  const recorded = [
    ...[...fake.messages.values()].map((m) =>
      JSON.stringify({ content: m.content, embeds: m.embeds, components: m.components, edits: m.edits }),
    ),
    ...fake.requests.map(
      (r) => `${r.path}?${r.query} ${r.rawBody} ${JSON.stringify(r.body)} ${JSON.stringify(r.response)}`,
    ),
    ...logs,
  ].join('\n');
  expect(recorded.length).toBeGreaterThan(0);
  for (const [name, value] of Object.entries(SECRETS)) {
    if (recorded.includes(value)) throw new Error(`secret ${name} leaked into a recorded message, request or log line`);
  }
}

export { freePort, REPO_ROOT, startBotProcess, type ChildBot };
