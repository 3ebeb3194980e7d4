/**
 * MEDIA_CONCURRENCY transfers shared by every channel (src/media/transfer-slots.ts): the choice of
 * the card a free transfer goes to, GIVEN/THEN, and the slots on a fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  chooseTransfer,
  LEAD_MS,
  TransferSlots,
  TransferWithdrawnError,
  type TransferAsk,
} from '../src/media/transfer-slots.js';

const T0 = 1_800_000_000_000;
const ask = (readyInMs: number, since: number, opens = false): TransferAsk => ({ readyInMs, since, opens });

describe('chooseTransfer', () => {
  it('GIVEN cards whose channels can write at different times THEN the soonest written gets the transfer, the earliest asked among equals', () => {
    expect(chooseTransfer([ask(40, 1), ask(0, 3), ask(0, 2)], LEAD_MS)).toEqual({ grant: 2 });
    expect(chooseTransfer([ask(0, 5), ask(30, 1)], LEAD_MS)).toEqual({ grant: 0 });
  });

  it('GIVEN cards alike but for when their tasks finished at the provider THEN the earliest finished gets the transfer, whenever it asked; where one does not say, the earliest asked', () => {
    const done = (since: number, finished: number): TransferAsk => ({ ...ask(0, since), finished });
    expect(chooseTransfer([done(1, 900), done(5, 400)], LEAD_MS)).toEqual({ grant: 1 });
    expect(chooseTransfer([done(5, 400), ask(0, 1)], LEAD_MS)).toEqual({ grant: 1 });
  });

  it('GIVEN a card whose write would open its channel’s window THEN it goes before the writes of windows already open', () => {
    expect(chooseTransfer([ask(0, 1), ask(20, 9, true)], LEAD_MS)).toEqual({ grant: 1 });
  });

  it('GIVEN no card its channel can write within LEAD_MS THEN none gets it, and the choice is made again when the soonest is that close; GIVEN none writable at all THEN only a change asks again', () => {
    expect(chooseTransfer([ask(5000, 1), ask(800, 2)], LEAD_MS)).toEqual({ retryInMs: 800 - LEAD_MS });
    expect(chooseTransfer([ask(Infinity, 1)], LEAD_MS)).toEqual({ retryInMs: undefined });
    expect(chooseTransfer([], LEAD_MS)).toEqual({ retryInMs: undefined });
  });
});

describe('TransferSlots', () => {
  beforeEach(() => void vi.useFakeTimers({ now: T0 }));
  afterEach(() => void vi.useRealTimers());

  it('GIVEN one transfer in use and two cards waiting, the first asked not writable for 5 s THEN the freed transfer goes to the second, and the first gets it LEAD_MS before it can write', async () => {
    const slots = new TransferSlots(1, Date.now);
    const release = await slots.acquire();
    const writableAt = T0 + 5000;
    const got: string[] = [];
    const later = slots.acquire({ ask: () => ({ readyInMs: writableAt - Date.now(), opens: false }) });
    const now = slots.acquire({ ask: () => ({ readyInMs: 0, opens: false }) });
    void later.then(() => got.push(`later at ${Date.now() - T0}`));
    void now.then((r) => {
      got.push(`now at ${Date.now() - T0}`);
      r();
    });
    release();
    await vi.advanceTimersByTimeAsync(5000 - LEAD_MS - 1);
    expect(got).toEqual(['now at 0']);
    await vi.advanceTimersByTimeAsync(1);
    expect(got).toEqual(['now at 0', `later at ${5000 - LEAD_MS}`]);
    expect(slots.inUse).toBe(1);
  });

  it('GIVEN two cards waiting THEN both are asked in one round (the same round object), and the round after a grant is a new one', async () => {
    const slots = new TransferSlots(2, Date.now);
    const release = await slots.acquire();
    const rounds: Array<[string, object | undefined]> = [];
    const claim = (name: string, readyInMs: number) => ({
      ask: (round?: object) => {
        rounds.push([name, round]);
        return { readyInMs, opens: false };
      },
    });
    const first = await slots.acquire();
    void slots.acquire(claim('a', 5000));
    void slots.acquire(claim('b', 0));
    // Both transfers in use: nobody is asked. Once one frees, a round asks a and b and b is granted;
    // once the other frees, a new round asks a alone.
    expect(rounds).toEqual([]);
    release();
    expect(rounds.map(([n]) => n)).toEqual(['a', 'b']);
    first();
    expect(rounds.map(([n]) => n)).toEqual(['a', 'b', 'a']);
    expect(rounds[0]?.[1]).toBeDefined();
    expect(rounds[0]?.[1]).toBe(rounds[1]?.[1]);
    expect(rounds[2]?.[1]).not.toBe(rounds[0]?.[1]);
  });

  it('GIVEN one transfer in use and two cards waiting, the later asker finished first at the provider THEN the freed transfer goes to it', async () => {
    const slots = new TransferSlots(1, Date.now);
    const release = await slots.acquire();
    const got: string[] = [];
    const now = () => ({ readyInMs: 0, opens: false });
    void slots.acquire({ ask: now, finished: T0 - 100 }).then(() => got.push('finished second'));
    await vi.advanceTimersByTimeAsync(10);
    void slots.acquire({ ask: now, finished: T0 - 400 }).then(() => got.push('finished first'));
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(got).toEqual(['finished first']);
  });

  it('GIVEN a waiting card that goes away THEN its claim is dropped with TransferWithdrawnError and the transfer goes to the next', async () => {
    const slots = new TransferSlots(1, Date.now);
    const release = await slots.acquire();
    let wanted = true;
    const gone = slots.acquire({ ask: () => (wanted ? { readyInMs: 0, opens: false } : undefined) });
    const next = slots.acquire();
    wanted = false;
    release();
    await expect(gone).rejects.toBeInstanceOf(TransferWithdrawnError);
    (await next)();
    expect([slots.inUse, slots.queued]).toEqual([0, 0]);
  });

  it('GIVEN a claim THEN it is told the moment its transfer is given, before its holder resumes', async () => {
    const slots = new TransferSlots(1, Date.now);
    const release = await slots.acquire();
    const told: number[] = [];
    const waiting = slots.acquire({
      ask: () => ({ readyInMs: 0, opens: false }),
      granted: () => told.push(slots.inUse),
    });
    release();
    expect(told).toEqual([1]);
    (await waiting)();
  });

  it('GIVEN all transfers in use with a card waiting WHEN one is freed and a newcomer asks at any moment before the waiter resumes THEN no more than the limit ever run, and a second release frees nothing more', async () => {
    for (let hops = 0; hops <= 8; hops++) {
      const slots = new TransferSlots(1, Date.now);
      let most = 0;
      const run = async () => {
        const release = await slots.acquire();
        most = Math.max(most, slots.inUse);
        await Promise.resolve();
        release();
        release();
      };
      const first = await slots.acquire();
      const waiter = run();
      first();
      let turn = Promise.resolve();
      for (let i = 0; i < hops; i++) turn = turn.then(() => undefined);
      await Promise.all([waiter, turn.then(run)]);
      expect({ hops, most, inUse: slots.inUse }).toEqual({ hops, most: 1, inUse: 0 });
    }
  });
});
