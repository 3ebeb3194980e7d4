/**
 * The bot as `npm start` runs it, in a child process: SIGKILL it with tasks in flight, start it
 * again on the same SQLite store, and every card still ends final with exactly one paid create.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { FakeDiscord, InteractionRecord } from './fakes/discord/index.js';
import {
  ALICE,
  CH_A1,
  CH_A2,
  CH_B1,
  GUILD_B,
  SECRETS,
  botEnv,
  cardIsFinal,
  cardOf,
  carol,
  expectNoSecrets,
  mentionsIn,
  publicCards,
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
const dir = mkdtempSync(join(tmpdir(), 'kling-bot-discord-'));

afterAll(async () => {
  await closeInOrder([...children.map((child) => ({ close: () => child.kill() })), fake, sim]);
  rmSync(dir, { recursive: true, force: true });
});

describe('Discord: crash and restart (child process)', () => {
  it('SIGKILL with tasks in flight, restart on the same store: every card ends final, no second create', async () => {
    sim = await startSim({ submittedMs: 300, processingMs: 2500 });
    fake = await startFake({ channelEditLimit: null });
    const f = fake;
    const s = sim;
    const env = botEnv(s, f, { STORE_URL: `sqlite://${join(dir, 'bot.sqlite')}`, POLL_INTERVAL_MS: '100' });

    const first = await startBotProcess(env);
    children.push(first);
    await f.waitForReady();
    const plan = [
      video(CH_A1, ALICE, 'crash one'),
      video(CH_A2, carol(1), 'crash two'),
      video(CH_B1, carol(2), 'crash three', GUILD_B),
      video(CH_A1, carol(3), 'crash four'),
      video(CH_A2, carol(4), 'crash five'),
      video(CH_B1, carol(5), 'crash six', GUILD_B),
    ];
    const recs: InteractionRecord[] = await Promise.all(plan.map((p) => f.sendCommand(p)));
    // In flight: every card is up and Kling has been asked for at least some of them.
    await f.waitFor(() => recs.every((r) => taskIdOf(cardOf(f, r))) && s.stats.creates >= 1, 10_000);
    expect(recs.some((r) => cardIsFinal(s, cardOf(f, r)))).toBe(false);
    // It was still running when killed: the restart below is a crash, not a clean stop.
    expect([first.proc.exitCode, first.proc.signalCode]).toEqual([null, null]);
    await first.kill();

    const second = await startBotProcess(env);
    children.push(second);
    await f
      .waitFor(() => recs.every((r) => cardIsFinal(s, cardOf(f, r))), 30_000)
      .catch((e: unknown) => {
        const cards = recs.map(
          (r) => `${taskIdOf(cardOf(f, r)) ?? '?'}: ${JSON.stringify(cardOf(f, r)?.embeds[0]?.['title'])}`,
        );
        throw new Error(`cards not final after restart:\n${cards.join('\n')}\n${second.output()}`, { cause: e });
      });
    for (const rec of recs) expect(s.createsFor(taskIdOf(cardOf(f, rec)) ?? '')).toBe(1);
    // One card per task: a card whose handle the crash lost is found again, not posted twice.
    expect(publicCards(f, [CH_A1, CH_A2, CH_B1])).toHaveLength(plan.length);
    // A requester is never told twice, even when the crash came between the final and the mention.
    for (const rec of recs)
      expect(mentionsIn(f, [CH_A1, CH_A2, CH_B1]).filter((m) => m.replyTo === cardOf(f, rec)?.id).length).toBeLessThan(
        2,
      );
    expect(s.stats.creates).toBe(plan.length);
    await second.stop();
    expect(second.proc.exitCode).toBe(0);

    const output = first.output() + second.output();
    expect(output).toContain('"resumed":');
    expectNoSecrets(f, [output]);
    for (const value of Object.values(SECRETS)) expect(output).not.toContain(value);
  });
});
