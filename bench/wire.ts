/**
 * The bot through the wire, for the busy-channel bench and the OpenAPI check: `src/main.ts` in its own
 * process (as `npm start` runs it), talking to a fake Discord or Slack that runs in this process and a Kling
 * simulator in a process of its own (bench/sim-process.ts). The fakes' records are what the figures are computed
 * from.
 */
import type { SimulatorOptions } from '../tools/kling-simulator/simulator.js';
import { startSimulatorProcess, type SimulatorProcess } from './sim-process.js';
import { snowflake, startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from '../test/fakes/discord/index.js';
import { startFakeSlack, type FakeSlack, type FakeSlackOptions } from '../test/fakes/slack/index.js';
import { freePort, startBotProcess, type ChildBot } from '../test/helpers/bot-process.js';

export const WIRE_SECRETS = {
  discordToken: 'MTIzNDU2Nzg5MDEyMzQ1Njc4.bench.busy-channel-token',
  slackToken: 'xoxb-bench-busy-channel-token',
  slackSigningSecret: 'bench-busy-channel-signing-secret',
  accessKey: 'bench-busy-access-key',
  secretKey: 'bench-busy-secret-key',
} as const;

const T0 = Date.parse('2024-06-01T00:00:00Z');
export const APP_ID = snowflake(T0);

export interface DiscordWireOptions {
  /** Channels per guild, e.g. [2, 2] = 4 channels in 2 guilds. */
  layout: number[];
  channelEditLimit: FakeDiscordOptions['channelEditLimit'];
  timing: NonNullable<SimulatorOptions['timing']>;
  /** Extra bot environment (POLL_INTERVAL_MS, PUBLIC_URL is set by `callbacks`). */
  env?: Record<string, string>;
  callbacks?: boolean;
  storeUrl?: string;
  /** More options for the fake Discord (token lifetime, …). */
  fake?: Partial<FakeDiscordOptions>;
  /** Result files of a chosen size from the simulator (uploads carry them). */
  media?: { bytes: number };
}

export interface DiscordWire {
  fake: FakeDiscord;
  sim: SimulatorProcess;
  bot: ChildBot;
  guilds: Array<{ id: string; channels: string[] }>;
  env: Record<string, string>;
  /** Sends one /video from a fresh user into `channelId`. */
  video(channelId: string, prompt: string): ReturnType<FakeDiscord['sendCommand']>;
  /** Starts the bot again on the same environment (after a kill). */
  restart(): Promise<ChildBot>;
  close(): Promise<void>;
}

function layoutOf(layout: readonly number[]): Array<{ id: string; channels: string[] }> {
  return layout.map((n, g) => ({
    id: snowflake(T0 + 1000 + g),
    channels: Array.from({ length: n }, (_, c) => snowflake(T0 + 100_000 + g * 1000 + c)),
  }));
}

export async function startDiscordWire(o: DiscordWireOptions): Promise<DiscordWire> {
  const guilds = layoutOf(o.layout);
  const sim = await startSimulatorProcess({
    accessKey: WIRE_SECRETS.accessKey,
    secretKey: WIRE_SECRETS.secretKey,
    timing: o.timing,
    ...(o.media ? { mediaBytes: o.media.bytes } : {}),
  });
  const fake = await startFakeDiscord({
    botToken: WIRE_SECRETS.discordToken,
    applicationId: APP_ID,
    guilds: guilds.map((g) => ({ id: g.id, channels: g.channels })),
    channelEditLimit: o.channelEditLimit,
    ...o.fake,
  });
  const port = await freePort();
  const env: Record<string, string> = {
    KLING_API_BASE_URL: sim.url,
    KLING_ACCESS_KEY: WIRE_SECRETS.accessKey,
    KLING_SECRET_KEY: WIRE_SECRETS.secretKey,
    DISCORD_TOKEN: WIRE_SECRETS.discordToken,
    DISCORD_APPLICATION_ID: APP_ID,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_GUILD_IDS: guilds.map((g) => g.id).join(','),
    STORE_URL: o.storeUrl ?? 'memory://',
    USER_MAX_ACTIVE_TASKS: '0',
    USER_MAX_DAILY_TASKS: '0',
    LOG_LEVEL: 'info',
    ...(o.callbacks ? { PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
    ...o.env,
  };
  let bot = await startBotProcess(env, 60_000, undefined, port);
  await fake.waitForReady(30_000);
  let users = 0;
  return {
    fake,
    sim,
    get bot() {
      return bot;
    },
    guilds,
    env,
    video(channelId, prompt) {
      const guild = guilds.find((g) => g.channels.includes(channelId));
      if (!guild) throw new Error(`wire: unknown channel ${channelId}`);
      const id = snowflake(T0 + 10_000_000 + users++ * 1000);
      return fake.sendCommand({
        guildId: guild.id,
        channelId,
        user: { id, username: `user${users}` },
        name: 'video',
        options: [{ name: 'prompt', type: 3, value: prompt }],
      });
    },
    async restart() {
      bot = await startBotProcess(env, 60_000, undefined, port);
      return bot;
    },
    async close() {
      await bot.stop();
      await fake.close();
      await sim.close();
    },
  };
}

export interface SlackWireOptions {
  timing: NonNullable<SimulatorOptions['timing']>;
  env?: Record<string, string>;
  fake?: Partial<FakeSlackOptions>;
  media?: { bytes: number };
}

/** Slack's limits as the fake applies them by default (the bench's ideal is computed from these). */
export const SLACK_LIMITS = {
  channel: { requests: 20, windowMs: 10_000 },
  workspaceUpdate: { requests: 50, windowMs: 60_000 },
} as const;

export async function startSlackWire(o: SlackWireOptions) {
  const team = 'T0BENCH';
  const channel = 'C0BUSY';
  const sim = await startSimulatorProcess({
    accessKey: WIRE_SECRETS.accessKey,
    secretKey: WIRE_SECRETS.secretKey,
    timing: o.timing,
    ...(o.media ? { mediaBytes: o.media.bytes } : {}),
  });
  const fake: FakeSlack = await startFakeSlack({
    botToken: WIRE_SECRETS.slackToken,
    signingSecret: WIRE_SECRETS.slackSigningSecret,
    teams: [{ id: team, channels: [channel] }],
    channelLimit: SLACK_LIMITS.channel,
    workspaceUpdateLimit: SLACK_LIMITS.workspaceUpdate,
    ...o.fake,
  });
  const env: Record<string, string> = {
    KLING_API_BASE_URL: sim.url,
    KLING_ACCESS_KEY: WIRE_SECRETS.accessKey,
    KLING_SECRET_KEY: WIRE_SECRETS.secretKey,
    SLACK_BOT_TOKEN: WIRE_SECRETS.slackToken,
    SLACK_SIGNING_SECRET: WIRE_SECRETS.slackSigningSecret,
    SLACK_API_URL: fake.apiUrl,
    STORE_URL: 'memory://',
    USER_MAX_ACTIVE_TASKS: '0',
    USER_MAX_DAILY_TASKS: '0',
    LOG_LEVEL: 'info',
    ...o.env,
  };
  const bot = await startBotProcess(env, 60_000);
  fake.setBotUrl(`http://127.0.0.1:${bot.port}/slack/events`);
  return {
    fake,
    sim,
    bot,
    team,
    channel,
    limits: SLACK_LIMITS,
    video: (text: string, userId: string) =>
      fake.sendCommand({ teamId: team, channelId: channel, userId, command: '/video', text }),
    async close() {
      await bot.stop();
      await fake.close();
      await sim.close();
    },
  };
}
