import type { Invocation } from './invocation.js';
import { RefusedError } from './errors.js';
import { refusals } from './render/notices.js';
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
    return { ...mine, activeLimit: s.userMaxActive, dailyLimit: s.userMaxDaily, guildToday, guildLimit: s.guildMaxDaily, resetsAt, resetsInMs: resetsAt - now, admin: this.isAdmin(inv) };
  }

  /** Throws a RefusedError saying which rule and, for caps, when it resets. */
  async check(inv: Invocation): Promise<void> {
    const s = this.settings;
    if (this.isAdmin(inv)) {
      if (s.guildMaxDaily === 0) return;
      const q = await this.quota(inv);
      if (q.guildToday >= s.guildMaxDaily) throw new RefusedError('guild_daily_cap', refusals.guildDailyCap(s.guildMaxDaily, q.resetsInMs), q.resetsAt);
      return;
    }
    if (s.allowedChannelIds.length > 0 && !s.allowedChannelIds.includes(inv.channelId)) throw new RefusedError('channel_not_allowed', refusals.channelNotAllowed());
    if (s.allowedRoleIds.length > 0 && !inv.user.roleIds.some((r) => s.allowedRoleIds.includes(r))) throw new RefusedError('role_not_allowed', refusals.roleNotAllowed());
    if (s.userMaxActive === 0 && s.userMaxDaily === 0 && s.guildMaxDaily === 0) return;
    const q = await this.quota(inv);
    if (s.userMaxActive > 0 && q.active >= s.userMaxActive) throw new RefusedError('user_active_cap', refusals.activeCap(q.active, s.userMaxActive));
    if (s.userMaxDaily > 0 && q.today >= s.userMaxDaily) throw new RefusedError('user_daily_cap', refusals.userDailyCap(s.userMaxDaily, q.resetsInMs), q.resetsAt);
    if (s.guildMaxDaily > 0 && q.guildToday >= s.guildMaxDaily) throw new RefusedError('guild_daily_cap', refusals.guildDailyCap(s.guildMaxDaily, q.resetsInMs), q.resetsAt);
  }
}
