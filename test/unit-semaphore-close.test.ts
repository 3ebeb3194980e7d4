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
