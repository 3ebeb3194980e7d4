/**
 * The acknowledgement watchdog (issue 16, "Tests that can fail"): with a store slower than the
 * watchdog (1.5 s), a /video is still answered inside Discord's 3 s, as a public "thinking…" that
 * the card then fills, and Kling is paid once.
 */
import Keyv from 'keyv';
import { describe, expect, it, vi } from 'vitest';
import { keyvStorage } from '../src/store/storage.js';
import { ALICE, CH_A1, cardIsFinal, cardOf, discordRigPerTest, taskIdOf, video } from './helpers/discord-harness.js';

const setup = discordRigPerTest();

/** Longer than the watchdog (1.5 s), well inside Discord's 3 s. */
const STORE_DELAY_MS = 2000;

describe('Discord: a store slower than the acknowledgement watchdog', () => {
  it('a /video is acknowledged within 3 s as a public deferral, the card fills it, one create', async () => {
    const storage = keyvStorage(new Keyv({ namespace: 'kb' }));
    const admit = storage.tasks.admit.bind(storage.tasks);
    let admits = 0;
    vi.spyOn(storage.tasks, 'admit').mockImplementation(async (...args) => {
      admits++;
      await new Promise((r) => setTimeout(r, STORE_DELAY_MS));
      return admit(...args);
    });
    const { s, f } = await setup({ core: { storage } });

    const rec = await f.sendCommand(video(CH_A1, ALICE, 'a heron in the fog'));
    await f.waitFor(() => rec.ackedAt !== undefined, 10_000);
    // The watchdog's answer, not the card: a deferred public reply (type 5), in time.
    expect(rec.ackType).toBe(5);
    expect(rec.ephemeral).toBe(false);
    expect(rec.ackLatencyMs).toBeLessThan(3000);
    // The card follows in the placeholder and goes to its end.
    await f.waitFor(() => cardIsFinal(s, cardOf(f, rec)), 20_000);
    const id = taskIdOf(cardOf(f, rec)) ?? '';
    expect(id).not.toBe('');
    expect(admits).toBe(1);
    expect(s.createsFor(id)).toBe(1);
    expect(s.stats.creates).toBe(1);
    expect(rec.lateCallbackAt).toEqual([]);
    // One answer: one card in the channel, no second acknowledgement.
    expect(f.messagesIn(CH_A1).filter((m) => !m.deleted && m.components.length > 0)).toHaveLength(1);
    expect(rec.responses.filter((x) => x.kind === 'callback')).toHaveLength(1);
  });
});
