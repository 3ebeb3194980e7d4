/**
 * Busy channels at Discord's realistic limit (5 message writes per 5 s per channel, interaction-webhook
 * writes included): a burst of 30 commands in one channel, and a SIGKILL in the middle of a burst.
 * Every card ends on its own video in its original message, Kling is asked once per command, and the
 * bot never causes a 429 nor tries more writes than a channel window allows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import {
  maxAcceptedInSlidingWindow,
  maxAttemptsPerWindow,
  unforced429s,
  type FakeDiscord,
  type InteractionRecord,
} from './fakes/discord/index.js';
import {
  CH_A1,
  botEnv,
  cardIsFinal,
  cardOf,
  carol,
  startBot,
  startBotProcess,
  startFake,
  startSim,
  taskIdOf,
  video,
  type ChildBot,
  type InProcessBot,
} from './helpers/discord-harness.js';

let sim: KlingSimulator | undefined;
let fake: FakeDiscord | undefined;
let bot: InProcessBot | undefined;
const children: ChildBot[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) await child.kill();
  await bot?.close();
  await fake?.close();
  await sim?.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  bot = undefined;
  fake = undefined;
  sim = undefined;
});

/** Sends `n` /video commands into one channel at once, from different users. */
async function burstInto(f: FakeDiscord, channelId: string, n: number, from = 0): Promise<InteractionRecord[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) => f.sendCommand(video(channelId, carol(from + i), `busy channel ${from + i}`))),
  );
}

/** What the fake's request log says about how the bot treated the channel's budget. */
function expectWithinBudget(f: FakeDiscord, channelId: string): void {
  expect(unforced429s(f).map((r) => `${r.cause} ${r.route} at ${r.at}`)).toEqual([]);
  expect(maxAttemptsPerWindow(f, channelId)).toBeLessThanOrEqual(5);
}

describe('Discord: a busy channel at the realistic limit', () => {
  it('30 commands at once in one channel: each answered with its card (no channel write), every card final in its own message, no 429, ≤ 5 writes in any 5 s', async () => {
    sim = await startSim({ submittedMs: 300, processingMs: 1500 });
    fake = await startFake();
    bot = await startBot(sim, fake);
    const f = fake;
    const s = sim;
    const recs = await burstInto(f, CH_A1, 30);
    await f.waitFor(() => recs.every((r) => cardIsFinal(s, cardOf(f, r))), 120_000);
    // The first card of each is the interaction's own answer: no channel write.
    expect(recs.map((r) => r.ackType)).toEqual(recs.map(() => 4));
    // Sliding, not only Discord's own window boundaries.
    expect(maxAcceptedInSlidingWindow(f, CH_A1, 5000)).toBeLessThanOrEqual(5);
    const ids = recs.map((r) => taskIdOf(cardOf(f, r)) ?? '');
    expect(new Set(ids).size).toBe(30);
    for (const id of ids) expect(s.createsFor(id)).toBe(1);
    // One public message per command: the original card, nothing re-posted beside it.
    expect(
      f.messagesIn(CH_A1).filter((m) => !m.deleted && (m.flags & 64) === 0 && m.components.length > 0),
    ).toHaveLength(30);
    expectWithinBudget(f, CH_A1);
  }, 180_000);

  it('SIGKILL with 20 tasks in flight in one busy channel: after a restart 20 of 20 original cards final, one Kling task each', async () => {
    // Long enough that the kill lands while all 20 are still generating, even on a slow machine.
    sim = await startSim({ submittedMs: 500, processingMs: 7000 });
    fake = await startFake();
    const f = fake;
    const s = sim;
    const dir = mkdtempSync(join(tmpdir(), 'kling-bot-busy-'));
    dirs.push(dir);
    const env = botEnv(s, f, { STORE_URL: `sqlite://${join(dir, 'bot.sqlite')}`, POLL_INTERVAL_MS: '100' });
    const first = await startBotProcess(env);
    children.push(first);
    await f.waitForReady();
    const recs = await burstInto(f, CH_A1, 20);
    // Killed in the middle: every command acknowledged and at Kling, none of the tasks finished.
    await f.waitFor(() => recs.every((r) => r.ackedAt !== undefined) && s.stats.creates === 20, 20_000);
    expect(s.tasks().every((t) => t.finishedAt > Date.now())).toBe(true);
    await first.kill();

    const second = await startBotProcess(env);
    children.push(second);
    await f
      .waitFor(() => recs.every((r) => cardIsFinal(s, cardOf(f, r))), 120_000)
      .catch((e: unknown) => {
        const stuck = recs
          .filter((r) => !cardIsFinal(s, cardOf(f, r)))
          .map(
            (r) =>
              `${r.id}: ${JSON.stringify(cardOf(f, r)?.embeds[0]?.['title'] ?? cardOf(f, r)?.content ?? null)} loading=${String(cardOf(f, r)?.loading)}`,
          );
        throw new Error(`${stuck.length} of 20 cards not final in their original message:\n${stuck.join('\n')}`, {
          cause: e,
        });
      });
    const ids = recs.map((r) => taskIdOf(cardOf(f, r)) ?? '');
    expect(new Set(ids).size).toBe(20);
    for (const id of ids) expect(s.createsFor(id)).toBe(1);
    expect(s.stats.creates).toBe(20);
    expect(
      f.messagesIn(CH_A1).filter((m) => !m.deleted && (m.flags & 64) === 0 && m.components.length > 0),
    ).toHaveLength(20);
    expectWithinBudget(f, CH_A1);
  }, 180_000);
});
