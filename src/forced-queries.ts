/**
 * Refresh and /task ask Kling about a running task at once, outside the tracker's own schedule.
 * Anyone can click Refresh on any running card, so without a bound a click storm becomes a storm
 * of Kling GETs that also holds the provider-call slots new tasks are created through. The
 * tracker polls every task on its own anyway: a refused forced query only means the card shows
 * what the next regular poll brings.
 */
export interface ForcedQueryBudget {
  /** At most one forced query per task in this window. */
  perTaskMs: number;
  /** At most this many forced queries per user per minute. */
  perUserPerMinute: number;
  /** At most this many per second for the whole process, so they never crowd out creates. */
  perSecond: number;
}

export const DEFAULT_FORCED_QUERY_BUDGET: ForcedQueryBudget = { perTaskMs: 10_000, perUserPerMinute: 6, perSecond: 1 };

const MINUTE_MS = 60_000;
/** Entries older than any window are dropped once the maps hold this many. */
const PRUNE_AT = 10_000;

export class ForcedQueryLimiter {
  private readonly lastByTask = new Map<string, number>();
  private readonly byUser = new Map<string, number[]>();
  private recent: number[] = [];

  constructor(
    private readonly now: () => number,
    private readonly budget: ForcedQueryBudget = DEFAULT_FORCED_QUERY_BUDGET,
  ) {}

  /** Whether `userId` may force a Kling query for `taskId` now; counts it when it may. */
  allow(taskId: string, userId: string): boolean {
    const t = this.now();
    const last = this.lastByTask.get(taskId);
    if (last !== undefined && t - last < this.budget.perTaskMs) return false;
    const mine = (this.byUser.get(userId) ?? []).filter((at) => t - at < MINUTE_MS);
    if (mine.length >= this.budget.perUserPerMinute) return false;
    this.recent = this.recent.filter((at) => t - at < 1000);
    if (this.recent.length >= this.budget.perSecond) return false;
    this.recent.push(t);
    mine.push(t);
    this.byUser.set(userId, mine);
    this.lastByTask.set(taskId, t);
    if (this.lastByTask.size + this.byUser.size > PRUNE_AT) this.prune(t);
    return true;
  }

  private prune(t: number): void {
    for (const [task, at] of this.lastByTask) if (t - at >= this.budget.perTaskMs) this.lastByTask.delete(task);
    for (const [user, list] of this.byUser) if (list.every((at) => t - at >= MINUTE_MS)) this.byUser.delete(user);
  }
}
