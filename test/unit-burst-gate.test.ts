import { afterEach, describe, expect, it, vi } from 'vitest';
import { BurstGate, MAX_HOLD_MS, RELEASE_PER_TURN, releasable } from '../src/burst-gate.js';
import { quietInterval } from '../src/tracker/quiet-interval.js';
import { RESUME_EVERY_MS, resumeDue } from '../src/tracker/resume.js';

describe('BurstGate: acknowledgements of a burst before its work', () => {
  afterEach(() => void vi.useRealTimers());

  it('GIVEN nothing arrived lately THEN work goes at once', async () => {
    vi.useFakeTimers();
    const gate = new BurstGate(() => Date.now());
    vi.advanceTimersByTime(1000);
    expect(gate.busy()).toBe(false);
    let ran = false;
    void gate.after().then(() => (ran = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toBe(true);
  });

  it('GIVEN an interaction still unanswered THEN work waits until it is answered', async () => {
    vi.useFakeTimers();
    const gate = new BurstGate(() => Date.now());
    gate.seen();
    const answered = gate.awaitsAnswer();
    let ran = false;
    void gate.after().then(() => (ran = true));
    await vi.advanceTimersByTimeAsync(100);
    expect(ran).toBe(false);
    answered();
    answered(); // told twice: counted once
    await vi.advanceTimersByTimeAsync(30);
    expect(ran).toBe(true);
    expect(gate.busy()).toBe(false);
  });

  it('GIVEN an acknowledgement on the wire THEN the gate is busy until it settles, failed or not', async () => {
    vi.useFakeTimers();
    const gate = new BurstGate(() => Date.now());
    vi.advanceTimersByTime(1000);
    let fail!: (e: Error) => void;
    const ack = gate.acking$(new Promise<void>((_r, j) => (fail = j)));
    expect(gate.busy()).toBe(true);
    fail(new Error('refused'));
    await expect(ack).rejects.toThrow('refused');
    expect(gate.busy()).toBe(false);
  });

  it('GIVEN a burst that never ends THEN no work waits more than MAX_HOLD_MS (1.5 s)', async () => {
    vi.useFakeTimers();
    const gate = new BurstGate(() => Date.now());
    gate.awaitsAnswer(); // never answered
    let ranAt = 0;
    const start = Date.now();
    void gate.after().then(() => (ranAt = Date.now() - start));
    await vi.advanceTimersByTimeAsync(MAX_HOLD_MS + 50);
    expect(MAX_HOLD_MS).toBe(1500);
    expect(ranAt).toBeGreaterThanOrEqual(MAX_HOLD_MS);
    expect(ranAt).toBeLessThanOrEqual(MAX_HOLD_MS + 20);
  });

  it('GIVEN the burst is over THEN at most RELEASE_PER_TURN waiters go per turn, in the order they came', () => {
    expect(RELEASE_PER_TURN).toBe(8);
    expect(releasable([], false, 0)).toBe(0);
    expect(releasable([5, 6, 7], false, 0)).toBe(3);
    expect(
      releasable(
        Array.from({ length: 20 }, () => 1e9),
        false,
        0,
      ),
    ).toBe(RELEASE_PER_TURN);
  });

  it('GIVEN the burst goes on THEN only the waiters whose MAX_HOLD_MS ran out go, at most RELEASE_PER_TURN a turn', () => {
    expect(releasable([100, 200], true, 99)).toBe(0);
    expect(releasable([100, 200], true, 100)).toBe(1);
    expect(releasable([100, 200], true, 200)).toBe(2);
    expect(
      releasable(
        Array.from({ length: 20 }, () => 0),
        true,
        1,
      ),
    ).toBe(RELEASE_PER_TURN);
  });

  it('GIVEN held work and a burst that only paused THEN the release stops at its next arrival and goes on once quiet', async () => {
    vi.useFakeTimers();
    const gate = new BurstGate(() => Date.now());
    gate.seen();
    let ran = 0;
    for (let i = 0; i < 20; i++) void gate.after().then(() => ran++);
    // Step turn by turn until the pause is long enough for a first release.
    for (let step = 0; step < 10 && ran === 0; step++) await vi.advanceTimersToNextTimerAsync();
    expect(ran).toBe(RELEASE_PER_TURN);
    gate.seen(); // the burst goes on before the next turn
    await vi.advanceTimersToNextTimerAsync();
    expect(ran).toBe(RELEASE_PER_TURN);
    await vi.advanceTimersByTimeAsync(40);
    expect(ran).toBe(20);
  });

  it('GIVEN an interaction held THEN its arrival counts, an answer it awaits counts until acknowledged or the hold ends', async () => {
    vi.useFakeTimers();
    const gate = new BurstGate(() => Date.now());
    vi.advanceTimersByTime(1000);
    let release!: () => void;
    const handled = new Promise<void>((r) => (release = r));
    let acknowledged!: () => void;
    const held = gate.hold(async (hold) => {
      acknowledged = hold.awaitsAnswer();
      expect(hold.awaitsAnswer()).toBe(acknowledged); // asked twice: counted once
      await handled;
    });
    expect(gate.busy()).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(gate.busy()).toBe(true); // quiet long enough, but still unanswered
    acknowledged();
    expect(gate.busy()).toBe(false);

    const never = gate.hold(async (hold) => {
      hold.awaitsAnswer(); // never acknowledged: the hold's end gives it up
      await handled;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(gate.busy()).toBe(true);
    release();
    await held;
    await never;
    expect(gate.busy()).toBe(false);
  });
});

describe("the tracker's background work under a burst", () => {
  afterEach(() => void vi.useRealTimers());

  it('GIVEN a burst being answered THEN the tick waits for it, and a tick due meanwhile is not run twice', async () => {
    vi.useFakeTimers();
    const gate = new BurstGate(() => Date.now());
    vi.advanceTimersByTime(1000);
    const ticks: number[] = [];
    const start = Date.now();
    const timer = quietInterval(
      100,
      () => gate.after(),
      () => ticks.push(Date.now() - start),
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(ticks).toEqual([100]);
    const answered = gate.awaitsAnswer();
    await vi.advanceTimersByTimeAsync(300);
    expect(ticks).toEqual([100]);
    answered();
    await vi.advanceTimersByTimeAsync(50);
    expect(ticks).toHaveLength(2);
    expect(ticks[1]).toBeGreaterThan(400);
    expect(ticks[1]).toBeLessThan(450);
    clearInterval(timer);
  });

  it("GIVEN a burst THEN the store's read for other replicas' tasks waits up to MAX_HOLD_MS more, never longer; on taking the lease it goes at once", () => {
    expect(resumeDue(false, RESUME_EVERY_MS - 1, false)).toBe(false);
    expect(resumeDue(false, RESUME_EVERY_MS, false)).toBe(true);
    expect(resumeDue(false, RESUME_EVERY_MS, true)).toBe(false);
    expect(resumeDue(false, RESUME_EVERY_MS + MAX_HOLD_MS - 1, true)).toBe(false);
    expect(resumeDue(false, RESUME_EVERY_MS + MAX_HOLD_MS, true)).toBe(true);
    expect(resumeDue(true, 0, true)).toBe(true);
  });
});
