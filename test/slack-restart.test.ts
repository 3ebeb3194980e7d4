import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage } from '../src/store/storage.js';
import {
  botEnv,
  cardIsFinal,
  SECRETS,
  startBotProcess,
  startFake,
  startSim,
  taskIdOfCard,
  type ChildBot,
} from './helpers/slack-harness.js';

/**
 * `npm start` as a real process on a SQLite store, killed with SIGKILL while tasks are in flight
 * and started again: every card still reaches its final state, and Kling is never asked twice.
 */

const TEAM = 'T0ACME';
const C1 = 'C0GENERAL';
const C2 = 'C0VIDEOS';
const LATE = 'after the restart';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

describe('Slack bot process restart', () => {
  it('after SIGKILL with tasks in flight, a new process finishes every card without a second create', async () => {
    // Kling's clock: nothing finishes before the kill, however slow this machine is; after it the clock
    // jumps ten minutes and everything has.
    let skewMs = 0;
    const sim = await startSim(
      { submittedMs: 200, processingMs: 600_000 },
      {
        now: () => Date.now() + skewMs,
        // The command sent after the restart runs at the usual pace.
        durationFor: (body) => (body['prompt'] === LATE ? { submittedMs: 100, processingMs: 300 } : undefined),
      },
    );
    cleanups.push(() => sim.close());
    const fake = await startFake([{ id: TEAM, channels: [C1, C2] }]);
    cleanups.push(() => fake.close());
    const dir = mkdtempSync(join(tmpdir(), 'kling-bot-slack-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const env = botEnv(sim, fake, { STORE_URL: `sqlite://${join(dir, 'x.sqlite')}`, POLL_INTERVAL_MS: '80' });

    // Two creates are answered only after the kill: Kling has the task, the bot never heard back.
    let releaseCreates = (): void => undefined;
    sim.faults.add({ kind: 'slow', on: 'create', times: 2, until: new Promise<void>((r) => (releaseCreates = r)) });
    cleanups.push(() => releaseCreates());

    const first: ChildBot = await startBotProcess(env);
    cleanups.push(() => first.stop());
    fake.setBotUrl(`http://127.0.0.1:${first.port}/slack/events`);
    const prompts = [
      'a whale breaching at sunset',
      'a city made of glass',
      'a dragon reading a book',
      'rain on a tin roof',
    ];
    const acks = await Promise.all(
      prompts.map((p, i) =>
        fake.sendCommand({
          teamId: TEAM,
          channelId: i % 2 ? C2 : C1,
          userId: `U0USER${i}`,
          command: '/video',
          text: p,
        }),
      ),
    );
    for (const a of acks) expect(a.status).toBe(200);
    // Every card posted and every task created at Kling (two of them still unanswered).
    const cards = await fake.waitFor(() => {
      const all = [...fake.messagesIn(C1), ...fake.messagesIn(C2)];
      return all.length === 4 && sim.stats.creates === 4 && all;
    }, 15_000);
    // The card handle is stored right after the post: wait until the store has every one of them.
    const ids = cards.map((m) => taskIdOfCard(m.blocks) ?? '');
    expect(ids.every((id) => id !== '')).toBe(true);
    const peek = await openStorage(env['STORE_URL'] ?? '');
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const recs = await Promise.all(ids.map((id) => peek.tasks.get(id)));
        // …and the two creates Kling answered are stored too (the sim counts a create before the bot has its answer).
        const created = recs.filter((r) => r?.klingTaskId !== undefined).length;
        if (recs.every((r) => r?.card !== undefined) && created === 2) break;
        if (Date.now() > deadline)
          throw new Error(`card handles not stored: ${JSON.stringify(recs.map((r) => r?.card ?? null))}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      await peek.close();
    }
    first.proc.kill('SIGKILL');
    await new Promise((resolve) => first.proc.once('exit', resolve));
    releaseCreates();
    expect(cards.some((m) => cardIsFinal(sim, m))).toBe(false);
    // Two creates really were unanswered when the process died: the store has no Kling task for them.
    const killed = await openStorage(env['STORE_URL'] ?? '');
    try {
      const recs = await Promise.all(ids.map((id) => killed.tasks.get(id)));
      expect(
        recs.filter((r) => r?.state === 'pending' && r.klingTaskId === undefined),
        JSON.stringify(recs.map((r) => r?.state)),
      ).toHaveLength(2);
    } finally {
      await killed.close();
    }

    skewMs = 600_000;
    const second = await startBotProcess(env);
    cleanups.push(() => second.stop());
    fake.setBotUrl(`http://127.0.0.1:${second.port}/slack/events`);
    await fake.waitFor(() => cards.every((m) => cardIsFinal(sim, m)), 20_000);

    for (const card of cards) {
      const id = taskIdOfCard(card.blocks);
      if (!id) throw new Error('card without a task id');
      expect(sim.createsFor(id), `creates for ${id}`).toBe(1);
    }
    expect(sim.stats.creates).toBe(4);
    // The resumed process looked the unanswered ones up instead of creating them again.
    expect(sim.stats.duplicateCreates).toBe(0);
    // No duplicate cards either: the resumed process edited the old ones.
    expect([...fake.messagesIn(C1), ...fake.messagesIn(C2)]).toHaveLength(4);

    // A fresh command on the restarted process works end to end too.
    await fake.sendCommand({
      teamId: TEAM,
      channelId: C1,
      userId: 'U0LATE',
      command: '/video',
      text: LATE,
    });
    await fake.waitFor(
      () => fake.messagesIn(C1).length === 3 && fake.messagesIn(C1).every((m) => cardIsFinal(sim, m)),
      15_000,
    );

    await second.stop();
    expect(second.proc.exitCode).toBe(0);
    const output = first.output() + second.output();
    for (const secret of Object.values(SECRETS))
      expect(output.includes(secret), 'secret in the process output').toBe(false);
  });
});
