/**
 * The day's unit ledger on keyv, in parts (src/store/units-ledger.ts, issue 17: a faster answer under a burst):
 * a user's count lives in one part, the server's total in the ledger's own key, where an earlier version also
 * kept every user's count (that day only).
 */
import { describe, expect, it } from 'vitest';
import {
  LEDGER_SHARDS,
  ledgerShardKey,
  ledgerShardKeys,
  mergedLedger,
  moveUnits,
  usedBy,
} from '../src/store/units-ledger.js';

describe('the ledger in parts', () => {
  it('GIVEN user ids THEN each has one part of its own ledger, among LEDGER_SHARDS, and the parts spread', () => {
    const key = 'units:discord:G1:2026-12-07';
    const parts = new Set(Array.from({ length: 2000 }, (_, i) => ledgerShardKey(key, `${1_000_000_000 + i}`)));
    expect([...parts].every((p) => ledgerShardKeys(key).includes(p))).toBe(true);
    expect(parts.size).toBeGreaterThan(LEDGER_SHARDS * 0.9);
    expect(ledgerShardKey(key, 'U1')).toBe(ledgerShardKey(key, 'U1'));
  });

  it("GIVEN a user counted in the ledger's own key and in their part THEN they have used both", () => {
    expect(usedBy({ A: 600, '*': 900 }, { A: 300 }, 'A')).toBe(900);
    expect(usedBy({ '*': 300 }, {}, 'B')).toBe(0);
  });

  it("GIVEN a new task's units THEN they go to the user's part and the server's total, not to an old user field", () => {
    const main = { A: 600, '*': 600 };
    const shard = {};
    moveUnits(main, shard, 'A', 300);
    expect({ main, shard }).toEqual({ main: { A: 600, '*': 900 }, shard: { A: 300 } });
  });

  it("GIVEN a give-back larger than the user's part THEN the rest comes off the old user field, never below zero", () => {
    const main = { A: 600, '*': 900 };
    const shard = { A: 300 };
    moveUnits(main, shard, 'A', -500);
    expect({ main, shard }).toEqual({ main: { A: 400, '*': 400 }, shard: { A: 0 } });
    moveUnits(main, shard, 'A', -1000);
    expect({ main, shard }).toEqual({ main: { A: 0, '*': 0 }, shard: { A: 0 } });
  });

  it("GIVEN the ledger's own key and its parts THEN the day reads as one ledger, each user's counts added", () => {
    expect(mergedLedger({ A: 100, '*': 700 }, [{ A: 200, B: 300 }, { C: 100 }])).toEqual({
      A: 300,
      B: 300,
      C: 100,
      '*': 700,
    });
  });
});
