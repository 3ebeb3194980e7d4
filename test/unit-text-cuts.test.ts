import { describe, expect, it } from 'vitest';
import { shorten } from '../src/render/format.js';
import { clamp, escapeClamped } from '../src/platforms/slack/mrkdwn.js';

/** True when every surrogate half in `s` has its partner. */
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('cuts never split an emoji', () => {
  // '🎬' is two UTF-16 units; put one across every possible cut point.
  const cases = Array.from({ length: 6 }, (_, pad) => `${'a'.repeat(pad)}🎬🎬🎬🎬🎬 the end of a long prompt`);

  it.each(cases)('GIVEN %j THEN shorten() to 5..9 units leaves no lone surrogate', (text) => {
    for (let max = 3; max <= 9; max++) {
      const out = shorten(text, max);
      expect(wellFormed(out), `${JSON.stringify(out)} (max ${max})`).toBe(true);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.endsWith('…')).toBe(true);
    }
  });

  it.each(cases)("GIVEN %j THEN Slack's clamp() and escapeClamped() leave no lone surrogate", (text) => {
    for (let max = 3; max <= 9; max++) {
      for (const out of [clamp(text, max), escapeClamped(text, max)]) {
        expect(wellFormed(out), `${JSON.stringify(out)} (max ${max})`).toBe(true);
        expect(out.length).toBeLessThanOrEqual(max);
      }
    }
  });

  it('GIVEN a cut exactly after a whole emoji THEN the emoji is kept', () => {
    expect(shorten('ab🎬cdef', 5)).toBe('ab🎬…');
    expect(clamp('ab🎬cdef', 5)).toBe('ab🎬…');
    expect(clamp('ab🎬cdef', 4)).toBe('ab…');
  });
});
