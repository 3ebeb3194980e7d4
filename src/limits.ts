import { budgetUnitsOf, fromHundredths, type BudgetName } from './budget.js';
import type { Invocation } from './invocation.js';
import { modelAllowed } from './kling/model-ids.js';
import { GUILD_FIELD, type AdmitRefusal } from './store/units-ledger.js';
import { RefusedError } from './errors.js';
import { refusals } from './render/notices.js';
import type { TaskRecord } from './domain.js';
import { utcDay } from './store/keys.js';
import { OlderActive } from './older-active.js';
import { userActivity, userNames } from './store/paging.js';
import type { Storage } from './store/storage.js';

export interface LimitSettings {
  userMaxActive: number;
  userMaxDaily: number;
  guildMaxDaily: number;
  allowedRoleIds: readonly string[];
  allowedChannelIds: readonly string[];
  adminUserIds: readonly string[];
  /** Video units per UTC day (0 = unlimited): per user (admins bypass it), per server, for the whole bot. */
  userMaxDailyUnits: number;
  guildMaxDailyUnits: number;
  maxDailyUnits: number;
  /** ALLOWED_MODELS: what non-admins may use (either id of a model); empty = all. */
  allowedModels: readonly string[];
}

export interface Quota {
  active: number;
  activeLimit: number;
  today: number;
  dailyLimit: number;
  /** Today's units: Kling's final figures, and the estimate for tasks still running. */
  unitsToday: number;
  unitsRunning: number;
  guildToday: number;
  guildLimit: number;
  resetsAt: number;
  resetsInMs: number;
  admin: boolean;
  /** Today's units per budget, in video units (limit 0 = none; the user's does not bind an admin). */
  budgets: Record<BudgetName, { used: number; limit: number }>;
  /** For an admin: today's spend by user in this server, largest first. */
  spendByUser?: Array<{ name: string; units: number }>;
}

const DAY_MS = 86_400_000;
/** How many users an admin's /quota lists. */
const SPEND_ROWS = 25;

const nextUtcMidnight = (now: number) => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
};

/**
 * The limits in the README's Configuration and Budgets sections: allowlists, per-user and per-server
 * caps, daily unit budgets (0 = unlimited) and ALLOWED_MODELS. Admins bypass the allowlists, the model
 * list and their own caps and budget, never the server's daily cap or the server's and the bot's
 * budgets: they are what bound the bill.
 */
export class Limits {
  constructor(
    private readonly settings: LimitSettings,
    /** The records (read through paging.ts, written by `admit`), the day counts and the units. */
    private readonly store: Pick<Storage, 'tasks' | 'counts' | 'units'>,
    private readonly now: () => number = Date.now,
  ) {
    this.older = new OlderActive(store.tasks);
  }

  private readonly older: OlderActive;

  /** userActivity scans back one day; a task of the user still running from before that is active too. */
  private async activity(inv: Invocation, dayStart: number, now: number) {
    const [recent, older] = await Promise.all([
      userActivity(this.store.tasks, inv.platform, inv.guildId, inv.user.id, dayStart, now),
      this.older.count(inv.platform, inv.guildId, inv.user.id, Math.min(dayStart, now - DAY_MS)),
    ]);
    return { ...recent, active: recent.active + older };
  }

  isAdmin(inv: Invocation): boolean {
    return Boolean(inv.user.isAdmin) || this.settings.adminUserIds.includes(inv.user.id);
  }

  /** ALLOWED_MODELS: what this user may ask for (either id of the model); admins may use every model. */
  mayUseModel(inv: Invocation, model: string): boolean {
    return this.isAdmin(inv) || modelAllowed(model, this.settings.allowedModels);
  }

  async quota(inv: Invocation): Promise<Quota> {
    const now = this.now();
    const resetsAt = nextUtcMidnight(now);
    const dayStart = resetsAt - DAY_MS;
    const [mine, guildToday, units] = await Promise.all([
      this.activity(inv, dayStart, now),
      this.store.counts.countOn(inv.platform, inv.guildId, utcDay(now)),
      this.store.units.on(inv.platform, inv.guildId, utcDay(now)),
    ]);
    const s = this.settings;
    const admin = this.isAdmin(inv);
    const spent = (field: string) => fromHundredths(units.ledger[field] ?? 0);
    return {
      ...mine,
      activeLimit: s.userMaxActive,
      dailyLimit: s.userMaxDaily,
      guildToday,
      guildLimit: s.guildMaxDaily,
      resetsAt,
      resetsInMs: resetsAt - now,
      admin,
      budgets: {
        user: { used: spent(inv.user.id), limit: s.userMaxDailyUnits },
        guild: { used: spent(GUILD_FIELD), limit: s.guildMaxDailyUnits },
        bot: { used: fromHundredths(units.bot), limit: s.maxDailyUnits },
      },
      ...(admin ? { spendByUser: await this.spendByUser(inv, units.ledger) } : {}),
    };
  }

  private async spendByUser(inv: Invocation, ledger: Record<string, number>) {
    const top = Object.entries(ledger)
      .filter(([id, h]) => id !== GUILD_FIELD && h > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, SPEND_ROWS);
    const names = await userNames(
      this.store.tasks,
      inv.platform,
      inv.guildId,
      top.map(([id]) => id),
    );
    return top.map(([id, h]) => ({ name: names.get(id) ?? id, units: fromHundredths(h) }));
  }

  /**
   * Throws a RefusedError saying which rule and, for caps, when it resets. The server's daily
   * cap is not checked here: it is checked and counted in one step when the task is written
   * (`admit`), so N members at once can't pass it together.
   */
  async check(inv: Invocation): Promise<void> {
    if (this.isAdmin(inv)) return;
    const s = this.settings;
    if (s.allowedChannelIds.length > 0 && !s.allowedChannelIds.includes(inv.channelId))
      throw new RefusedError('channel_not_allowed', refusals.channelNotAllowed());
    if (s.allowedRoleIds.length > 0 && !inv.user.roleIds.some((r) => s.allowedRoleIds.includes(r)))
      throw new RefusedError('role_not_allowed', refusals.roleNotAllowed());
    if (s.userMaxActive === 0 && s.userMaxDaily === 0) return;
    const now = this.now();
    const resetsAt = nextUtcMidnight(now);
    const q = await this.activity(inv, resetsAt - DAY_MS, now);
    if (s.userMaxActive > 0 && q.active >= s.userMaxActive)
      throw new RefusedError('user_active_cap', refusals.activeCap(q.active, s.userMaxActive));
    if (s.userMaxDaily > 0 && q.today >= s.userMaxDaily)
      throw new RefusedError('user_daily_cap', refusals.userDailyCap(s.userMaxDaily, resetsAt - now), resetsAt);
  }

  /**
   * Checks the caller's limits and writes the new task with what it counts against the unit
   * budgets (src/budget.ts), counting it against the server's daily cap and the budgets in the same
   * step as the check (nobody passes the server's or the bot's; admins pass only their own). Run
   * it under the caller's own lock so two quick commands of one user can't both slip under their
   * caps. Returns the record as written.
   */
  async admit(inv: Invocation, record: TaskRecord): Promise<TaskRecord> {
    await this.check(inv);
    const s = this.settings;
    const admin = this.isAdmin(inv);
    const allowed = s.allowedModels;
    if (!this.mayUseModel(inv, record.request.model)) {
      const { model } = record.request;
      throw new RefusedError(
        'model_not_allowed',
        record.regeneratedFrom
          ? refusals.regenerateModelNotAllowed(record.regeneratedFrom, model, allowed)
          : refusals.modelNotAllowed(model, allowed),
      );
    }
    const admitted: TaskRecord = { ...record, budget: { units: budgetUnitsOf(record.request) } };
    const refused = await this.store.tasks.admit(admitted, {
      guildDailyTasks: s.guildMaxDaily,
      units: {
        user: admin ? 0 : s.userMaxDailyUnits,
        guild: s.guildMaxDailyUnits,
        bot: s.maxDailyUnits,
      },
    });
    if (!refused) {
      this.older.admitted(admitted);
      return admitted;
    }
    throw this.refusal(refused);
  }

  private refusal(refused: AdmitRefusal): RefusedError {
    const now = this.now();
    const resetsAt = nextUtcMidnight(now);
    if (refused.kind === 'guild_tasks')
      return new RefusedError(
        'guild_daily_cap',
        refusals.guildDailyCap(this.settings.guildMaxDaily, resetsAt - now),
        resetsAt,
      );
    const cap = fromHundredths(refused.cap);
    const left = Math.max(0, fromHundredths(refused.cap - refused.used));
    return new RefusedError(
      `${refused.budget}_daily_units`,
      refusals.overBudget(refused.budget, fromHundredths(refused.needs), cap, left, resetsAt - now),
      resetsAt,
    );
  }
}
