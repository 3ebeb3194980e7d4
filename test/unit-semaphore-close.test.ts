import { describe, expect, it } from 'vitest';
import { Semaphore } from '../src/tracker/limiter.js';

describe('Semaphore.close (a stopping tracker)', () => {
  it('lets running work finish, never starts work still waiting for a slot, and counts it as parked', async () => {
    const sem = new Semaphore(1);
    let release: () => void = () => undefined;
    const started: string[] = [];
    const running = sem.run(async () => {
      started.push('first');
      await new Promise<void>((resolve) => (release = resolve));
      return 'first done';
    });
    const waiting = sem.run(async () => {
      started.push('second');
      return 'second done';
    });
    let waitingSettled = false;
    void waiting.finally(() => (waitingSettled = true));
    await Promise.resolve();
    sem.close();
    expect(sem.parked).toBe(1);
    release();
    await expect(running).resolves.toBe('first done');
    void sem.run(async () => started.push('third'));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['first']);
    expect(waitingSettled).toBe(false);
    expect(sem.parked).toBe(2);
  });
});

describe('Semaphore slots (the Kling call cap, and media transfers through MediaStage)', () => {
  it('GIVEN a full semaphore with a waiter WHEN a slot is freed and a newcomer asks at any moment before the waiter wakes THEN no more than the limit ever run', async () => {
    // The newcomer asks after `hops` microtask turns from the release: one of these turns falls between
    // the freed slot and the waiter waking, where a slot counted free would be taken twice.
    for (let hops = 0; hops <= 12; hops++) {
      const sem = new Semaphore(1);
      let running = 0;
      let most = 0;
      const work = async (gate?: Promise<void>) => {
        running++;
        most = Math.max(most, running);
        await gate;
        await Promise.resolve();
        running--;
      };
      let open: () => void = () => undefined;
      const first = sem.run(() => work(new Promise<void>((resolve) => (open = resolve))));
      const waiter = sem.run(() => work());
      await Promise.resolve();
      open();
      let turn = Promise.resolve();
      for (let i = 0; i < hops; i++) turn = turn.then(() => undefined);
      const newcomer = turn.then(() => sem.run(() => work()));
      await Promise.all([first, waiter, newcomer]);
      expect({ hops, most }).toEqual({ hops, most: 1 });
      expect(sem.inUse).toBe(0);
    }
  });

  it('GIVEN a slot acquired by hand WHEN it is released twice THEN the second release frees nothing more', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const next = sem.acquire();
    expect(sem.queued).toBe(1);
    release();
    release();
    const releaseNext = await next;
    expect(sem.inUse).toBe(1);
    let third = false;
    void sem.acquire().then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    releaseNext();
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(true);
  });
});
