/**
 * Two Discord replicas on one Redis, both connected to the gateway, so both receive every
 * interaction (as Discord does when one bot runs twice). Each command must be paid for once and
 * counted once: the replica that claims the interaction answers it, the other does nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionRecord } from './fakes/discord/index.js';
import { closeInOrder } from './helpers/close-in-order.js';
import {
  CH_A1,
  CH_A2,
  cardIsFinal,
  cardOf,
  carol,
  discordRigPerTest,
  ephemeralAnswers,
  mentionsIn,
  publicCards,
  taskIdOf,
  video,
} from './helpers/discord-harness.js';
import { startRedis, type RedisInstance } from './helpers/redis-instance.js';
import { redisAvailable } from './helpers/redis-server.js';

const HAS_REDIS = redisAvailable();
/**
 * Six cards a channel at Discord's realistic limit (5 writes / 5 s): their finals and then their mentions
 * take three windows (about 15 s idle), then a loaded machine's share of the work.
 */
const WINDOWS_WAIT_MS = 45_000;
let redis: RedisInstance | undefined;

beforeAll(async () => {
  if (HAS_REDIS) redis = await startRedis();
});
afterAll(async () => {
  await redis?.close();
});

const setup = discordRigPerTest();

describe.skipIf(!HAS_REDIS)('Discord: two replicas on one Redis', () => {
  it('12 commands from 4 users with a daily cap of 3 each: 12 creates, 0 refusals, and the 4th of each user refused', async () => {
    const env = {
      STORE_URL: `${redis?.url ?? ''}/2`,
      USER_MAX_DAILY_TASKS: '3',
      USER_MAX_ACTIVE_TASKS: '0',
      POLL_INTERVAL_MS: '100',
    };
    const { s, f, bots } = await setup({ sim: { submittedMs: 100, processingMs: 300 }, env, replicas: 2 });
    await f.waitFor(() => f.identifies >= 2, 10_000);

    const users = [1, 2, 3, 4].map((n) => carol(n));
    const plan = users.flatMap((u, i) => [0, 1, 2].map((k) => video(i % 2 ? CH_A2 : CH_A1, u, `replica ${i}-${k}`)));
    const recs: InteractionRecord[] = await Promise.all(plan.map((p) => f.sendCommand(p)));
    // Every command answered: with its card, final, or privately (a refusal, which must not happen).
    const settled = (r: InteractionRecord) => ephemeralAnswers(f, r).length > 0 || cardIsFinal(s, cardOf(f, r));
    await f.waitFor(() => recs.every(settled), WINDOWS_WAIT_MS);

    // No command was refused: each user's three are counted three times, not six.
    for (const r of recs) expect(ephemeralAnswers(f, r), `private answers to ${r.id}`).toEqual([]);
    const ids = recs.map((r) => taskIdOf(cardOf(f, r)) ?? '');
    expect(new Set(ids).size).toBe(12);
    for (const id of ids) expect(s.createsFor(id), `creates for ${id}`).toBe(1);

    // Each user's day now holds exactly three: a fourth is refused, and reaches nobody at Kling.
    const fourth = await Promise.all(users.map((u) => f.sendCommand(video(CH_A1, u, 'one too many'))));
    await f.waitFor(() => fourth.every((r) => ephemeralAnswers(f, r).length === 1), 10_000);
    for (const r of fourth) {
      expect(JSON.stringify(ephemeralAnswers(f, r)[0]?.embeds ?? [])).toContain('used your 3 tasks');
      expect(taskIdOf(cardOf(f, r))).toBeUndefined();
    }

    // Each requester is told once (mentions queue behind the finals at the channel's pace).
    await f.waitFor(() => mentionsIn(f, [CH_A1, CH_A2]).length >= 12, WINDOWS_WAIT_MS);
    // Both replicas stopped (their trackers drained): nothing more can reach Kling.
    await closeInOrder(bots);
    expect(s.stats.creates).toBe(12);
    expect(s.stats.duplicateCreates).toBe(0);
    // One public card per command, never a second for the same interaction.
    expect(publicCards(f, [CH_A1, CH_A2])).toHaveLength(12);
    // Each requester heard once (from one replica) that the video is ready, and nobody else is pinged.
    const mentions = mentionsIn(f, [CH_A1, CH_A2]);
    recs.forEach((r, i) => {
      const about = mentions.filter((m) => m.replyTo === cardOf(f, r)?.id);
      expect(about.map((m) => m.content.match(/<@!?\d+>/g))).toEqual([[`<@${users[Math.floor(i / 3)]?.id ?? ''}>`]]);
    });
    expect(mentions).toHaveLength(12);
  }, 120_000);
});
