/**
 * A busy Slack channel: 20 tasks finishing together in one channel (released at once when every
 * card is up), with chat.update limited per channel and per workspace (and chat.postMessage about
 * one a second). Every card ends on its own video, Kling is
 * asked once per command, and the bot causes few 429s (Slack's limits are not published exactly, so a
 * handful, each waited out, is tolerated — not a storm).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { FakeSlack } from './fakes/slack/index.js';
import {
  cardIsFinal,
  startBotInProcess,
  startFake,
  startSim,
  taskIdOfCard,
  type InProcessBot,
} from './helpers/slack-harness.js';
import { closeInOrder } from './helpers/close-in-order.js';

const TEAM = 'T0BUSY';
const CHANNEL = 'C0BUSY';
/** How long the tasks would run on their own: far longer than the test. */
const HOLD_MS = 600_000;

let sim: KlingSimulator | undefined;
let fake: FakeSlack | undefined;
let bot: InProcessBot | undefined;

afterEach(async () => {
  await closeInOrder([bot, fake, sim]);
  bot = fake = sim = undefined;
});

describe('Slack: a busy channel', () => {
  it('20 tasks finishing together in one channel with chat.update limited: every card final, one create each, few 429s', async () => {
    // The tasks run until every card is up (about one post a second), then all finish at once: the
    // simulator's clock jumps past their end.
    let skew = 0;
    sim = await startSim({ submittedMs: 1000, processingMs: HOLD_MS, jitter: 0 }, { now: () => Date.now() + skew });
    fake = await startFake([{ id: TEAM, channels: [CHANNEL] }], {
      channelLimit: { requests: 10, windowMs: 10_000 },
      workspaceUpdateLimit: { requests: 20, windowMs: 60_000 },
    });
    bot = await startBotInProcess(sim, fake, { POLL_INTERVAL_MS: '200' });
    const f = fake;
    const s = sim;
    const acks = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        f.sendCommand({
          teamId: TEAM,
          channelId: CHANNEL,
          userId: `U0BUSY${i}`,
          command: '/video',
          text: `busy channel ${i}`,
        }),
      ),
    );
    for (const a of acks) expect(a.status).toBe(200);
    await f.waitFor(() => s.stats.creates === 20 && f.messagesIn(CHANNEL).length === 20, 60_000);
    expect(f.messagesIn(CHANNEL).some((m) => cardIsFinal(s, m))).toBe(false);
    skew = HOLD_MS;
    await f.waitFor(
      () => f.messagesIn(CHANNEL).length === 20 && f.messagesIn(CHANNEL).every((m) => cardIsFinal(s, m)),
      150_000,
    );
    const ids = f.messagesIn(CHANNEL).map((m) => taskIdOfCard(m.blocks) ?? '');
    expect(new Set(ids).size).toBe(20);
    for (const id of ids) expect(s.createsFor(id)).toBe(1);
    expect(s.stats.creates).toBe(20);
    const caused = f.rateLimits.filter((r) => !r.forced);
    expect(
      caused.map((r) => `${r.method} ${r.reason}`).length,
      JSON.stringify(caused.map((r) => `${r.method} ${r.reason}`)),
    ).toBeLessThanOrEqual(5);
  }, 180_000);
});
