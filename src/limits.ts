import type { Invocation } from './invocation.js';
import { RefusedError } from './errors.js';
import { refusals } from './render/notices.js';
import type { TaskRecord } from './domain.js';
import type { TaskStore } from './store/task-store.js';
import { utcDay } from './store/task-store.js';

export interface LimitSettings {
  userMaxActive: number;
  userMaxDaily: number;
  guildMaxDaily: number;
  allowedRoleIds: readonly string[];
  allowedChannelIds: readonly string[];
  adminUserIds: readonly string[];
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
}

const nextUtcMidnight = (now: number) => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
};

/**
 * SPEC §5: allowlists, per-user and per-server caps (0 = unlimited). Admins bypass the
 * allowlists and their own caps, never the server's daily cap: it is what bounds the bill.
 */
export class Limits {
  constructor(
    private readonly settings: LimitSettings,
    private readonly store: TaskStore,
    private readonly now: () => number = Date.now,
  ) {}

  isAdmin(inv: Invocation): boolean {
    return Boolean(inv.user.isAdmin) || this.settings.adminUserIds.includes(inv.user.id);
  }

  async quota(inv: Invocation): Promise<Quota> {
    const now = this.now();
    const resetsAt = nextUtcMidnight(now);
    const dayStart = resetsAt - 86_400_000;
    const [mine, guildToday] = await Promise.all([
      this.store.userActivity(inv.platform, inv.guildId, inv.user.id, dayStart, now),
      this.store.guildCountOn(inv.platform, inv.guildId, utcDay(now)),
    ]);
    const s = this.settings;
    return {
      ...mine,
      activeLimit: s.userMaxActive,
      dailyLimit: s.userMaxDaily,
      guildToday,
      guildLimit: s.guildMaxDaily,
      resetsAt,
      resetsInMs: resetsAt - now,
      admin: this.isAdmin(inv),
    };
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
    const q = await this.store.userActivity(inv.platform, inv.guildId, inv.user.id, resetsAt - 86_400_000, now);
    if (s.userMaxActive > 0 && q.active >= s.userMaxActive)
      throw new RefusedError('user_active_cap', refusals.activeCap(q.active, s.userMaxActive));
    if (s.userMaxDaily > 0 && q.today >= s.userMaxDaily)
      throw new RefusedError('user_daily_cap', refusals.userDailyCap(s.userMaxDaily, resetsAt - now), resetsAt);
  }

  /**
   * Checks the caller's limits and writes the new task, counting it against the server's daily
   * cap in the same step as the check (nobody, admins included, passes that cap). Run it under
   * the caller's own lock so two quick commands of one user can't both slip under their caps.
   */
  async admit(inv: Invocation, record: TaskRecord): Promise<void> {
    await this.check(inv);
    const cap = this.settings.guildMaxDaily;
    if (await this.store.create(record, { guildDailyCap: cap })) return;
    const now = this.now();
    const resetsAt = nextUtcMidnight(now);
    throw new RefusedError('guild_daily_cap', refusals.guildDailyCap(cap, resetsAt - now), resetsAt);
  }
}
