import { toHundredths, type PerBudget } from '../budget.js';
import type { TaskRecord } from '../domain.js';
import type { DayCounts } from './day-counts.js';
import { dayCounter, utcDay } from './keys.js';
import { guard } from './guard.js';
import { botUnitsKey, unitsLedgerKey, type UnitsCharge, type UnitsKeys, type UnitsStore } from './units-ledger.js';

/**
 * The task store's part in the unit budgets (src/budget.ts decides, units-ledger.ts counts): what a
 * new record is admitted with, and how a record that lost a race gives its slots back. Kept apart
 * from records.ts so the budgets move with the counters, not with the records.
 */

/** Day counters and ledgers outlive their day by two, so a task settled the next day still finds its own. */
export const COUNTER_TTL_MS = 3 * 86_400_000;

/** What an admission is checked against: the server's daily task cap and the unit budgets (video units; 0 = none). */
export interface AdmitCaps {
  guildDailyTasks?: number;
  units?: PerBudget;
}

/** Where a record's units are counted: its server's and the bot's ledgers for the UTC day it was created. */
export const unitsKeysOf = (r: Pick<TaskRecord, 'scope' | 'createdAt'>): UnitsKeys => ({
  ledgerKey: unitsLedgerKey(r.scope.platform, r.scope.guildId, utcDay(r.createdAt)),
  userField: r.scope.userId,
  botKey: botUnitsKey(utcDay(r.createdAt)),
});

/** A new record's units (`record.budget`, none for a record without one) and the caps they must fit, in hundredths. */
export function unitsChargeOf(record: TaskRecord, caps: AdmitCaps): UnitsCharge {
  const units = caps.units ?? { user: 0, guild: 0, bot: 0 };
  return {
    ...unitsKeysOf(record),
    amount: toHundredths(record.budget?.units ?? 0),
    caps: { user: toHundredths(units.user), guild: toHundredths(units.guild), bot: toHundredths(units.bot) },
    ttlMs: COUNTER_TTL_MS,
  };
}

/** How a record that lost a race gives its slots back. */
export interface BudgetRecords {
  /**
   * A record that lost a race (never shown, never sent to Kling) gives back its task slot and its
   * units, once (marked on the record under its lock). False when there is no such record or it
   * was released already.
   */
  release(id: string): Promise<boolean>;
}

/** The release over the records (marked under the record's lock), the day counts and the units. */
export function budgetRecords(
  records: { release(id: string): Promise<{ record: TaskRecord; delta: number } | undefined> },
  counts: Pick<DayCounts, 'giveBack'>,
  units: Pick<UnitsStore, 'adjust'>,
): BudgetRecords {
  return {
    async release(id) {
      const released = await records.release(id);
      if (!released) return false;
      const { scope, createdAt } = released.record;
      await guard('give back a task', async () => {
        await counts.giveBack(dayCounter(scope.platform, scope.guildId, utcDay(createdAt)), COUNTER_TTL_MS);
        await units.adjust(unitsKeysOf(released.record), released.delta, COUNTER_TTL_MS);
      });
      return true;
    },
  };
}
