/**
 * Slack's pace guesses corrected by Slack's own answers (src/platforms/slack/channel-gate.ts,
 * workspace-gate.ts). A 429 does not say which limit it was: the channel takes the first one as
 * its own and keeps under what Slack accepted; the workspace's budget is spent only when the
 * channel cannot explain the 429 or the workspace has spent most of it.
 */
import { describe, expect, it } from 'vitest';
import { ChannelGate } from '../src/platforms/slack/channel-gate.js';
import { WorkspaceGate } from '../src/platforms/slack/workspace-gate.js';

const PACE = { postsPerSec: 1, windowRequests: 20, windowMs: 10_000 };

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** Sends `n` updates through the gate, one every `gapMs`. */
function updates(gate: ChannelGate, c: ReturnType<typeof clock>, n: number, gapMs = 100): void {
  for (let i = 0; i < n; i++) {
    expect(gate.waitMs('update')).toBe(0);
    gate.sent('update')();
    c.advance(gapMs);
  }
}

describe('ChannelGate', () => {
  it('GIVEN Slack refuses the 11th update of a window THEN the channel waits Retry-After and then keeps to 10 a window', () => {
    const c = clock();
    const gate = new ChannelGate(PACE, c.now);
    updates(gate, c, 10);
    gate.sent('update')(); // the 11th, refused
    expect(gate.refused(1000)).toBe(true);
    expect(gate.waitMs('update')).toBeGreaterThanOrEqual(1000);
    // Then, for 30 s, an update whenever the gate allows one: never more than 10 in any 10 s.
    const sent: number[] = [];
    for (let i = 0; i < 600; i++) {
      c.advance(50);
      if (gate.waitMs('update') > 0) continue;
      gate.sent('update')();
      sent.push(c.now());
    }
    const mostInAWindow = Math.max(...sent.map((t) => sent.filter((u) => u >= t && u < t + 10_000).length));
    expect(mostInAWindow).toBe(10);
  });

  it('GIVEN a second refusal while the channel keeps to its learned pace THEN it is not taken as the channel’s', () => {
    const c = clock();
    const gate = new ChannelGate(PACE, c.now);
    updates(gate, c, 5);
    gate.sent('update')();
    expect(gate.refused(500)).toBe(true);
    c.advance(500);
    expect(gate.refused(500)).toBe(false);
  });

  it('GIVEN a quiet window after a refusal THEN the default pace is back', () => {
    const c = clock();
    const gate = new ChannelGate(PACE, c.now);
    updates(gate, c, 3);
    gate.sent('update')();
    gate.refused(100);
    c.advance(11_000);
    updates(gate, c, 20, 10);
    expect(gate.waitMs('update')).toBeGreaterThan(0);
  });

  it('GIVEN a refused post THEN the channel waits Retry-After and keeps under what Slack accepted', () => {
    const c = clock();
    const gate = new ChannelGate(PACE, c.now);
    updates(gate, c, 4);
    gate.sent('post')();
    expect(gate.refused(2000)).toBe(true);
    expect(gate.waitMs('update')).toBeGreaterThanOrEqual(2000);
    c.advance(2000);
    expect(gate.waitMs('update')).toBeGreaterThan(0);
  });
});

describe('WorkspaceGate', () => {
  const budget = { capacity: 20, refillPerSec: 0.5, finalReserve: 18 };

  it('GIVEN a 429 the channel took as its own and a full budget THEN after Retry-After finals go at once', () => {
    const c = clock();
    const gate = new WorkspaceGate(budget, c.now);
    gate.block(1000, true);
    expect(gate.take(true)).toBeGreaterThan(0);
    c.advance(1000);
    for (let i = 0; i < 10; i++) expect(gate.take(true)).toBe(0);
  });

  it('GIVEN a 429 the channel cannot explain THEN the budget is spent: finals go at the refill pace', () => {
    const c = clock();
    const gate = new WorkspaceGate(budget, c.now);
    gate.block(1000);
    c.advance(2000);
    expect(gate.take(true)).toBe(0);
    expect(gate.take(true)).toBeGreaterThan(0);
  });

  it('GIVEN most of the budget spent THEN even a channel’s 429 spends the rest', () => {
    const c = clock();
    const gate = new WorkspaceGate(budget, c.now);
    for (let i = 0; i < 15; i++) expect(gate.take(true)).toBe(0);
    gate.block(1000, true);
    c.advance(2000);
    expect(gate.take(true)).toBe(0);
    expect(gate.take(true)).toBeGreaterThan(0);
  });
});
