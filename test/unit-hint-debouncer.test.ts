import { afterEach, describe, expect, it, vi } from 'vitest';
import { HintDebouncer } from '../src/http-guards.js';

afterEach(() => vi.useRealTimers());

describe('HintDebouncer', () => {
  it('GIVEN hints at 0 and 600 ms in a 1 s window THEN the first fires at once and the second at the window end (1000 ms), not 1600', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const start = Date.now();
    const hints = new HintDebouncer(() => fired.push(Date.now() - start), 1000);
    hints.hint('t1');
    vi.advanceTimersByTime(600);
    hints.hint('t1');
    hints.hint('t1');
    vi.advanceTimersByTime(399);
    expect(fired).toEqual([0]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([0, 1000]);
    vi.advanceTimersByTime(2000);
    expect(fired).toEqual([0, 1000]);
  });
});
