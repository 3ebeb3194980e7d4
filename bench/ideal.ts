/**
 * The physical floor for cards that finish together: one write per finished card, at the pace the
 * platform allows, served in the order the tasks finished. Writes the bot had already spent in the
 * same window(s) before the first task finished are taken as given.
 */

export interface Finish {
  id: string;
  finishedAt: number;
}

/**
 * Discord's rule as the fake applies it: a fixed window of `requests` per `windowMs`, opened by the first write after a
 * reset.
 */
export function idealFixedWindow(
  finishes: readonly Finish[],
  priorWrites: readonly number[],
  limit: { requests: number; windowMs: number },
): Map<string, number> {
  const ordered = [...finishes].sort((a, b) => a.finishedAt - b.finishedAt);
  const shown = new Map<string, number>();
  let start = -Infinity;
  let count = 0;
  const use = (t: number): number => {
    if (t >= start + limit.windowMs) {
      start = t;
      count = 0;
    } else if (count >= limit.requests) {
      t = start + limit.windowMs;
      start = t;
      count = 0;
    }
    count++;
    return t;
  };
  for (const t of [...priorWrites].sort((a, b) => a - b)) use(t);
  let last = -Infinity;
  for (const f of ordered) {
    last = use(Math.max(f.finishedAt, last));
    shown.set(f.id, last);
  }
  return shown;
}

/**
 * Slack's rule as the fake applies it: sliding windows (e.g. per channel and per workspace), each write counted in all.
 */
export function idealSlidingWindows(
  finishes: readonly Finish[],
  windows: ReadonlyArray<{ requests: number; windowMs: number; prior: readonly number[] }>,
): Map<string, number> {
  const ordered = [...finishes].sort((a, b) => a.finishedAt - b.finishedAt);
  const used = windows.map((w) => [...w.prior].sort((a, b) => a - b));
  const shown = new Map<string, number>();
  let last = -Infinity;
  for (const f of ordered) {
    let t = Math.max(f.finishedAt, last);
    // Move t forward until every window has room: the earliest time the oldest write in a full window leaves it.
    for (let guard = 0; guard < 10_000; guard++) {
      let next = t;
      windows.forEach((w, i) => {
        const inWindow = (used[i] ?? []).filter((x) => x > t - w.windowMs && x <= t);
        if (inWindow.length >= w.requests)
          next = Math.max(next, (inWindow[inWindow.length - w.requests] ?? t) + w.windowMs);
      });
      if (next === t) break;
      t = next;
    }
    used.forEach((u) => u.push(t));
    shown.set(f.id, t);
    last = t;
  }
  return shown;
}

/** Nearest-rank percentile of unsorted values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}
