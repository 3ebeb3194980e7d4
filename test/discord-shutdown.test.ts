/**
 * Shutdown in order (issue 9 finding 4): SIGTERM stops intake, drains the outbox, stores what the
 * cards show, then closes the store. Shown with the bot as `npm start` runs it: SIGTERM while the
 * final edits wait out a 429, then a restart on the same store that has nothing left to show again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { FakeDiscord, InteractionRecord } from './fakes/discord/index.js';
import {
  CH_A1,
  botEnv,
  cardIsFinal,
  cardOf,
  carol,
  startBotProcess,
  startFake,
  startSim,
  taskIdOf,
  video,
  type ChildBot,
} from './helpers/discord-harness.js';
import { closeInOrder } from './helpers/close-in-order.js';

let sim: KlingSimulator | undefined;
let fake: FakeDiscord | undefined;
const children: ChildBot[] = [];
const dir = mkdtempSync(join(tmpdir(), 'kling-bot-shutdown-'));

afterAll(async () => {
  await closeInOrder([...children.map((child) => ({ close: () => child.kill() })), fake, sim]);
  rmSync(dir, { recursive: true, force: true });
});

describe('Discord: SIGTERM with card edits pending', () => {
  it('the final edits go out before the process ends, and the restarted bot repeats no edit and no reply', async () => {
    // Kling's clock: the tasks run until the test moves it on, once the cards are up.
    let skewMs = 0;
    sim = await startSim({ submittedMs: 600_000, processingMs: 600_000 }, { now: () => Date.now() + skewMs });
    fake = await startFake();
    const f = fake;
    const s = sim;
    const env = botEnv(s, f, { STORE_URL: `sqlite://${join(dir, 'bot.sqlite')}`, POLL_INTERVAL_MS: '100' });
    const first = await startBotProcess(env);
    children.push(first);
    await f.waitForReady();

    const recs: InteractionRecord[] = await Promise.all(
      [0, 1, 2].map((i) => f.sendCommand(video(CH_A1, carol(i), `shutdown ${i}`))),
    );
    await f.waitFor(() => recs.every((r) => taskIdOf(cardOf(f, r))), 10_000);
    // The channel answers the next write with a 429 for 1.8 s: every edit from here on waits in the outbox.
    f.rateLimitChannel(CH_A1, { times: 1, retryAfterMs: 1800 });
    const ids = recs.map((r) => taskIdOf(cardOf(f, r)) ?? '');
    // Every task finishes at Kling now (once made there: a card shows its id before that): the next poll's
    // edit meets the 429, and the finals wait behind it.
    await f.waitFor(() => ids.every((id) => s.task(id) !== undefined), 10_000);
    skewMs = 1_200_000;
    // Kling has finished every task and the bot has asked since: the final views are waiting.
    await f.waitFor(
      () =>
        f.rateLimits.some((r) => r.forced) &&
        ids.every((id) => {
          const task = s.task(id);
          return (
            task !== undefined &&
            s.calls.some(
              (c) => c.op === 'get' && c.at > task.finishedAt && c.status === 200 && c.path.endsWith(`/${task.taskId}`),
            )
          );
        }),
      10_000,
    );
    expect(recs.some((r) => cardIsFinal(s, cardOf(f, r)))).toBe(false);

    await first.stop();
    expect(first.proc.exitCode).toBe(0);
    // Drained before the end: every card shows its video, in its own message.
    for (const r of recs) expect(cardIsFinal(s, cardOf(f, r)), first.output()).toBe(true);
    const editsBefore = recs.map((r) => cardOf(f, r)?.edits.length ?? 0);
    const requestsBefore = f.requests.length;

    // Second life on the same store: nothing is left to show, so nothing is written again.
    const second = await startBotProcess(env);
    children.push(second);
    expect(second.output()).toMatch(/"resumed":0[,}]/);
    await second.stop();
    expect(recs.map((r) => cardOf(f, r)?.edits.length ?? 0)).toEqual(editsBefore);
    const writesAfter = f.requests
      .slice(requestsBefore)
      .filter((r) => r.method !== 'GET' && (r.path.startsWith('/webhooks/') || r.path.includes('/messages')));
    expect(writesAfter).toEqual([]);
    for (const id of ids) expect(s.createsFor(id)).toBe(1);
  }, 60_000);
});
