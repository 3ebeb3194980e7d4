import { releaseOf, toHundredths, type PerBudget } from '../budget.js';
import type { Platform, TaskRecord } from '../domain.js';
import type { Collections } from './collections.js';
import { botUnitsKey, unitsLedgerKey, type Ledger, type UnitsCharge, type UnitsKeys } from './units-ledger.js';

/**
 * The task store's part in the unit budgets (src/budget.ts decides, units-ledger.ts counts): what a
 * new record is admitted with, and how a record that lost a race gives its slots back. Kept apart
 * from task-store.ts so the budgets move with the counters, not with the records.
 */

/** Day counters and ledgers outlive their day by two, so a task settled the next day still finds its own. */
export const COUNTER_TTL_MS = 3 * 86_400_000;

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

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

export interface BudgetDeps {
  collections: Collections;
  /** Runs `work` under the record's own lock (the one `TaskStore.update` takes). */
  locked<T>(id: string, work: () => Promise<T>): Promise<T>;
  get(id: string): Promise<TaskRecord | undefined>;
  getMany(ids: readonly string[]): Promise<TaskRecord[]>;
  put(record: TaskRecord): Promise<void>;
  /** The server's daily task counter a record was counted in. */
  taskCounterOf(record: TaskRecord): string;
  /** The list of one user's tasks in one server, newest last. */
  userIndexOf(platform: Platform, guildId: string, userId: string): string;
  /** Runs a store operation; any failure becomes a StoreError naming what could not be done. */
  guard<T>(what: string, work: () => Promise<T>): Promise<T>;
}

/** The day's unit budgets as the store keeps them: read, and given back by a record that lost a race. */
export class BudgetCounters {
  constructor(private readonly d: BudgetDeps) {}

  /**
   * A record that lost a race (never shown, never sent to Kling) gives back its task slot and its
   * units, once (marked on the record under its lock). False when there is no such record or it
   * was released already.
   */
  release(id: string): Promise<boolean> {
    const d = this.d;
    return d.guard('give back a task', async () => {
      const released = await d.locked(id, async () => {
        const current = await d.get(id);
        const out = current && releaseOf(current);
        if (out) await d.put(out.record);
        return out;
      });
      if (!released) return false;
      await d.collections.decrement(d.taskCounterOf(released.record), COUNTER_TTL_MS);
      await d.collections.adjustUnits(unitsKeysOf(released.record), released.delta, COUNTER_TTL_MS);
      return true;
    });
  }

  /** A server's units on one UTC day (hundredths per user id and `*` for the server) and the whole bot's. */
  on(platform: Platform, guildId: string, day: string): Promise<{ ledger: Ledger; bot: number }> {
    return this.d.guard('read the units used', async () => ({
      ledger: await this.d.collections.unitsLedger(unitsLedgerKey(platform, guildId, day)),
      bot: await this.d.collections.counter(botUnitsKey(day)),
    }));
  }

  /** The name each user last asked under, from their newest task (ids without one are left out). */
  userNames(platform: Platform, guildId: string, userIds: readonly string[]): Promise<Map<string, string>> {
    const d = this.d;
    return d.guard('read user names', async () => {
      const newest = await Promise.all(
        userIds.map(async (id) => (await d.collections.newest(d.userIndexOf(platform, guildId, id), 0, 1))[0]),
      );
      const recs = await d.getMany(newest.filter((id): id is string => id !== undefined));
      return new Map(recs.map((r) => [r.scope.userId, r.scope.userName]));
    });
  }
}
