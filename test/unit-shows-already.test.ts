/**
 * The tracker offers a task's view as it starts following it only where the card does not show it
 * already (src/tracker/cards.ts `showsAlready`, pure): a new task's first card is not rendered twice.
 */
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { showsAlready } from '../src/tracker/cards.js';

const record = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  id: 'kbshows000001',
  scope: { platform: 'discord', guildId: 'g', channelId: 'c', userId: 'u', userName: 'u' },
  request: { kind: 'image', prompt: 'a lighthouse', model: 'kling-v2', aspect_ratio: '1:1', n: 1 },
  state: 'pending',
  createdAt: 0,
  updatedAt: 0,
  ...over,
});

describe('showsAlready', () => {
  it('GIVEN a new task answered or posted with its card (cardSig) THEN it shows; GIVEN a placeholder (no cardSig) THEN not', () => {
    expect(showsAlready(record({ card: { m: 1 }, cardSig: 'sig' }), false)).toBe(true);
    expect(showsAlready(record({ card: { m: 1 } }), false)).toBe(false);
    expect(showsAlready(record(), false)).toBe(false);
  });

  it('GIVEN a task taken over THEN only a running one with a card shows what its last leader showed', () => {
    expect(showsAlready(record({ card: { m: 1 }, state: 'processing' }), true)).toBe(true);
    expect(showsAlready(record({ card: { m: 1 }, state: 'submitted', cardSig: 's' }), true)).toBe(true);
    expect(showsAlready(record({ card: { m: 1 }, state: 'pending', cardSig: 's' }), true)).toBe(false);
    expect(showsAlready(record({ state: 'processing' }), true)).toBe(false);
  });
});
