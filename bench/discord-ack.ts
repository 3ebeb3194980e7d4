/**
 * Discord acknowledgement latency: `n` concurrent `/video` commands through the fake Discord
 * gateway into the real adapter; latency = the fake dispatching INTERACTION_CREATE → the deferred
 * callback arriving back at the fake (both stamped by the fake).
 *
 * The bot runs in this thread. The fake Discord and the Kling simulator run in a worker thread
 * (test/helpers/discord-bench-peer.ts): in production Discord is another machine, and sharing one
 * event loop would bill the fake's own work to the bot.
 *
 * Two bursts from different users: the first hits a bot that has just logged in (code not yet
 * compiled by V8, no connection open); the second hits the same bot while it is tracking the
 * first burst's tasks — the steady state the target is about. Both are reported.
 *
 * It runs in a process of its own (bench/discord-ack-main.ts), with the bot's V8 flags as `npm start` sets them.
 * Standalone: `tsx bench/discord-ack-main.ts [n]`.
 */
import { snowflake } from '../test/fakes/discord/index.js';
import type { PeerSetup } from '../test/helpers/discord-bench-peer.js';
import { percentile, startBenchBot, startPeer } from './peer.js';

const BOT_TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.bench.discord-ack-token';
const ACCESS_KEY = 'bench-discord-access-key';
const SECRET_KEY = 'bench-discord-secret-key';

export interface DiscordAckResult {
  n: number;
  /** The steady-state burst (the bot busy tracking the previous burst's tasks). */
  ackP50Ms: number;
  ackP99Ms: number;
  /** The first burst after log-in. */
  coldP50Ms: number;
  coldP99Ms: number;
}

function setupFor(n: number): PeerSetup {
  const t = Date.parse('2024-01-01T00:00:00Z');
  return {
    botToken: BOT_TOKEN,
    applicationId: snowflake(t),
    guildId: snowflake(t + 1000),
    channels: Array.from({ length: 4 }, (_, i) => snowflake(t + 2000 + i)),
    userIds: Array.from({ length: 2 * n }, (_, i) => snowflake(t + 10_000 + i)),
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
  };
}

const percentiles = (latencies: readonly number[]) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};

/** Between the bursts: the first burst's tasks are still being generated and tracked. */
const PAUSE_MS = 500;

export async function benchDiscordAck(n = 200): Promise<DiscordAckResult> {
  const setup = setupFor(n);
  const peer = startPeer(setup);
  try {
    const { apiUrl, simUrl } = await peer.next('ready');
    const bot = await startBenchBot(setup, apiUrl, simUrl, {
      STORE_URL: 'memory://',
      POLL_INTERVAL_MS: '100',
      USER_MAX_ACTIVE_TASKS: '0',
      USER_MAX_DAILY_TASKS: '0',
    });
    try {
      const burst = async (from: number) => {
        peer.post({ type: 'burst', from, count: n });
        const { latencies } = await peer.next('acks');
        await peer.next('settled');
        return percentiles(latencies);
      };
      const cold = await burst(0);
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      const warm = await burst(n);
      return { n, ackP50Ms: warm.p50, ackP99Ms: warm.p99, coldP50Ms: cold.p50, coldP99Ms: cold.p99 };
    } finally {
      await bot.close();
    }
  } finally {
    await peer.close();
  }
}
