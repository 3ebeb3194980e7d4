/**
 * A busy channel at Discord's default channel limit (5 writes / 5 s, interaction-webhook writes
 * included): the outbox keeps every card to what the channel allows, read from the answers, and
 * every card still ends on its own video in its original message.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { FakeDiscord, InteractionRecord } from './fakes/discord/index.js';
import { CH_A1, cardIsFinal, cardOf, carol, startBot, startFake, startSim, taskIdOf, video, type InProcessBot } from './helpers/discord-harness.js';

let sim: KlingSimulator | undefined;
let fake: FakeDiscord | undefined;
let bot: InProcessBot | undefined;

afterEach(async () => {
  await bot?.close();
  await fake?.close();
  await sim?.close();
  bot = undefined;
  fake = undefined;
  sim = undefined;
});

/** Accepted writes that spend the channel's bucket: channel message creates/edits and interaction-webhook creates/edits. */
function channelWrites(f: FakeDiscord, channelId: string): number[] {
  return f.requests
    .filter((r) => r.status < 300 && (r.method === 'POST' || r.method === 'PATCH'))
    .filter((r) => r.path.startsWith(`/channels/${channelId}/messages`) || /^\/webhooks\/\d+\/[^/]+(\/messages\/[^/]+)?$/.test(r.path))
    .map((r) => r.at)
    .sort((a, b) => a - b);
}

/** The most writes found in any `windowMs` (sliding, not only Discord's own window boundaries). */
function mostInAnyWindow(at: readonly number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < at.length; j++) {
    while ((at[j] ?? 0) - (at[i] ?? 0) >= windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe('Discord: 30 /video in one channel at the default channel limit', () => {
  it('every card ends final in its original message, with no 429 earned and at most 5 channel writes in any 5 s', async () => {
    sim = await startSim({ submittedMs: 100, processingMs: 600 });
    fake = await startFake();
    bot = await startBot(sim, fake);
    const f = fake;
    const s = sim;
    const recs: InteractionRecord[] = await Promise.all(Array.from({ length: 30 }, (_, i) => f.sendCommand(video(CH_A1, carol(i), `busy channel ${i}`))));
    await f.waitFor(() => recs.every((r) => cardIsFinal(s, cardOf(f, r))), 90_000);

    // The first card of each is the interaction's own answer: no channel write.
    expect(recs.map((r) => r.ackType)).toEqual(recs.map(() => 4));
    expect(f.rateLimits.filter((r) => !r.forced)).toEqual([]);
    const writes = channelWrites(f, CH_A1);
    expect(writes.length).toBeGreaterThanOrEqual(30);
    expect(mostInAnyWindow(writes, 5000), JSON.stringify(f.requests.filter((r) => r.status < 300 && (r.method === "POST" || r.method === "PATCH")).map((r) => [r.at - (writes[0] ?? 0), r.method, r.path.slice(0, 30)]))).toBeLessThanOrEqual(5);
    // One card per command, each in its original message, and one paid task each.
    expect(f.messagesIn(CH_A1).filter((m) => !m.deleted)).toHaveLength(30);
    for (const r of recs) expect(s.createsFor(taskIdOf(cardOf(f, r)) ?? '')).toBe(1);
  }, 120_000);
});
