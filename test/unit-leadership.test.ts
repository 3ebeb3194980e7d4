/**
 * Replicas are fenced (issue 9 finding 3): leadership lapses when the lease has not been renewed
 * for 2/3 of its TTL, whatever the renewals say meanwhile; and a write never takes a record back.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { silentLogger } from '../src/log.js';
import { Lease, type LeaseBackend } from '../src/store/lease.js';
import { Leadership } from '../src/tracker/leadership.js';
import { mergeForward } from '../src/tracker/task-machine.js';

const T0 = 1_800_000_000_000;
const TTL = 3000;

/** A lease store that answers as told: won, lost, or failing (store down). */
class ScriptedBackend implements LeaseBackend {
  answer: 'won' | 'lost' | 'fail' = 'won';
  claims = 0;
  async claim(): Promise<number> {
    this.claims++;
    if (this.answer === 'fail') throw new Error('store down');
    return this.answer === 'won' ? 1 : 0;
  }
  async release(): Promise<void> {}
}

beforeEach(() => vi.useFakeTimers({ now: T0 }));
afterEach(() => vi.useRealTimers());

function rig() {
  const backend = new ScriptedBackend();
  const events: string[] = [];
  const leadership = new Leadership(
    new Lease(backend, 'replica-a', TTL),
    { gained: async () => (events.push('gained'), 0), lost: () => void events.push('lost') },
    silentLogger,
    Date.now,
  );
  return { backend, events, leadership };
}

describe('Leadership', () => {
  it('GIVEN renewals start failing THEN leadership lapses 2/3 of the TTL after the last good renewal, not later', async () => {
    const { backend, events, leadership } = rig();
    await leadership.start();
    expect(leadership.leader).toBe(true);
    backend.answer = 'fail';
    // Renewals every TTL/3 = 1 s fail from here on; the last good one was at T0.
    await vi.advanceTimersByTimeAsync(1999);
    expect(leadership.leader).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(leadership.leader).toBe(false);
    expect(events).toEqual(['gained', 'lost']);
    expect(backend.claims).toBeGreaterThanOrEqual(2);
    // The store comes back: the lease is taken again and the tasks picked up.
    backend.answer = 'won';
    await vi.advanceTimersByTimeAsync(1000);
    expect(leadership.leader).toBe(true);
    // Every renewal since then picks up what other replicas accepted.
    expect(events.join(' ')).toMatch(/^gained lost( gained)+$/);
    leadership.stop();
  });

  it('GIVEN a follower WHEN the leader dies and its lease lapses THEN the follower leads within an eighth of the TTL', async () => {
    const { backend, events, leadership } = rig();
    backend.answer = 'lost';
    await leadership.start();
    expect(leadership.leader).toBe(false);
    await vi.advanceTimersByTimeAsync(TTL);
    // The dead leader's claim lapses now (Redis's own clock): the next attempt wins.
    backend.answer = 'won';
    await vi.advanceTimersByTimeAsync(TTL / 8);
    expect(leadership.leader).toBe(true);
    expect(events).toEqual(['gained']);
    leadership.stop();
  });

  it('GIVEN a leader THEN it renews four times per TTL, so one late renewal does not lapse it', async () => {
    const { backend, leadership } = rig();
    await leadership.start();
    const before = backend.claims;
    await vi.advanceTimersByTimeAsync(TTL);
    expect(backend.claims - before).toBe(4);
    expect(leadership.leader).toBe(true);
    leadership.stop();
  });

  it('GIVEN the process stalls past 2/3 of the TTL (no renewal ran at all) THEN it is not leader when it wakes', async () => {
    const { leadership } = rig();
    await leadership.start();
    leadership.stop(); // no more renewals, as if the event loop were blocked
    vi.setSystemTime(T0 + 2000);
    expect(leadership.leader).toBe(false);
  });

  it('GIVEN another replica holds the lease THEN this one is not leader and drops its tasks', async () => {
    const { backend, events, leadership } = rig();
    await leadership.start();
    backend.answer = 'lost';
    await vi.advanceTimersByTimeAsync(1000);
    expect(leadership.leader).toBe(false);
    expect(events).toEqual(['gained', 'lost']);
    leadership.stop();
  });
});

describe('mergeForward', () => {
  const base: TaskRecord = {
    id: 'kbfence000001',
    scope: { platform: 'console', guildId: 'g', channelId: 'c', userId: 'u', userName: 'u' },
    request: {
      kind: 'text2video',
      prompt: 'p',
      model: 'kling-v1',
      mode: 'std',
      duration: '5',
      aspect_ratio: '16:9',
    } as TaskRecord['request'],
    state: 'processing',
    createdAt: T0,
    updatedAt: T0,
  };

  it('GIVEN the store already shows succeed THEN a stale processing write leaves it as it is', () => {
    const stored = { ...base, state: 'succeed' as const, finishedAt: T0 + 9, cardSig: 'final' };
    expect(mergeForward(stored, { ...base, state: 'processing', progress: 40 })).toBe(stored);
  });

  it('GIVEN the store holds a create epoch THEN an older copy without one (or with a lower one) never rolls it back', () => {
    const stored = { ...base, state: 'pending' as const, createEpoch: 7 };
    expect(mergeForward(stored, { ...base, state: 'submitted' }).createEpoch).toBe(7);
    expect(mergeForward(stored, { ...base, state: 'submitted', createEpoch: 3 }).createEpoch).toBe(7);
    expect(mergeForward(stored, { ...base, state: 'submitted', createEpoch: 9 }).createEpoch).toBe(9);
  });

  it('GIVEN a newer state THEN it is written, keeping the card fields the outbox owns', () => {
    const stored = { ...base, card: { card: 1 }, cardSig: 'shown', finalShown: false };
    const merged = mergeForward(stored, { ...base, state: 'succeed', card: { card: 9 }, cardSig: 'other' });
    expect(merged).toMatchObject({ state: 'succeed', card: { card: 1 }, cardSig: 'shown', finalShown: false });
  });
});
