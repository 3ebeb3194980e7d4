/** The forced-query budget (Refresh, /task), GIVEN/THEN on a hand-moved clock. */
import { describe, expect, it } from 'vitest';
import { ForcedQueryLimiter } from '../src/forced-queries.js';

function limiter(budget = { perTaskMs: 10_000, perUserPerMinute: 3, perSecond: 2 }) {
  let t = 1_000_000;
  return { l: new ForcedQueryLimiter(() => t, budget), advance: (ms: number) => (t += ms) };
}

describe('ForcedQueryLimiter', () => {
  it('GIVEN a forced query for a task THEN another for it waits out the per-task window, whoever asks', () => {
    const { l, advance } = limiter();
    expect(l.allow('t1', 'u1')).toBe(true);
    advance(1000);
    expect(l.allow('t1', 'u2')).toBe(false);
    advance(8999);
    expect(l.allow('t1', 'u2')).toBe(false);
    advance(1);
    expect(l.allow('t1', 'u2')).toBe(true);
  });

  it('GIVEN one user on many tasks THEN at most perUserPerMinute a minute', () => {
    const { l, advance } = limiter();
    const results = [];
    for (let i = 0; i < 6; i++) {
      results.push(l.allow(`t${i}`, 'u1'));
      advance(1000);
    }
    expect(results).toEqual([true, true, true, false, false, false]);
    advance(60_000);
    expect(l.allow('t9', 'u1')).toBe(true);
  });

  it('GIVEN many users at once THEN at most perSecond for the whole process; a refused ask is not counted', () => {
    const { l, advance } = limiter();
    expect([l.allow('a', 'u1'), l.allow('b', 'u2'), l.allow('c', 'u3')]).toEqual([true, true, false]);
    advance(1000);
    // 'c' was refused, so it was not marked: it may go now.
    expect(l.allow('c', 'u3')).toBe(true);
  });
});
