import { isFinal, type Platform, type TaskRecord, type TaskState } from '../domain.js';
import { expectedUnitsOf } from '../kling/rules.js';
import { guard } from './guard.js';
import type { TaskIndex, TaskStore } from './task-store.js';

/**
 * Reading history through the TaskStore interface: a /tasks page, a user's day for /quota and
 * the limits, and the names an admin's /quota lists. Each reads only what it needs, never the
 * whole history.
 */

const DAY_MS = 86_400_000;
/** Records read per batch while paging: a page is small, so is each read. */
const PAGE_BATCH = 100;
/**
 * A filtered page reads at most this many records beyond what it shows: a filter that matches
 * little in a long history answers "more" instead of reading the whole history.
 */
const PAGE_SCAN_SLACK = 1000;
/**
 * However deep the page, one /tasks answer parses at most this many records: a deep page that a
 * filter or deleted tasks keep from being found by position says so instead (SQLite's driver is
 * synchronous, so a long read would stall everything, Discord's 3-second deadline included).
 */
export const MAX_PAGE_SCAN = 2000;
/** Index order is creation order give or take concurrent creates: stop at `since` only well past it. */
const SINCE_MARGIN_MS = 60_000;

export interface PageQuery {
  platform: Platform;
  guildId: string;
  /** Exactly one of channel or user picks the index. */
  channelId?: string;
  userId?: string;
  status?: TaskState;
  since?: number;
  until?: number;
  page: number;
  pageSize: number;
}

/**
 * One page. `total` and `pageCount` are known when the whole history behind the query was read
 * (it was short, or `since` cut it off); otherwise `hasMore` says whether a next page may exist.
 */
export interface Page {
  items: TaskRecord[];
  page: number;
  total?: number;
  pageCount?: number;
  /** Absent: a next page exists when `page < pageCount`. */
  hasMore?: boolean;
  /** Set when the page lies further back than one answer searches (this many records): narrow the query. */
  searchLimit?: number;
}

const indexOf = (q: PageQuery): TaskIndex =>
  q.userId !== undefined
    ? { platform: q.platform, guildId: q.guildId, userId: q.userId }
    : { platform: q.platform, guildId: q.guildId, channelId: q.channelId ?? '' };

/**
 * Newest-first page of one channel's or one user's tasks in one server, filtered. Reads only
 * what the page needs (plus one, to know a next page exists), never the whole history: a
 * filtered page gives up after PAGE_SCAN_SLACK non-matching records and says "more".
 */
export function pageOf(
  store: Pick<TaskStore, 'indexLength' | 'newest' | 'deletedIn' | 'getMany'>,
  q: PageQuery,
): Promise<Page> {
  return guard('read task history', async () => {
    const index = indexOf(q);
    const skip = (q.page - 1) * q.pageSize;
    const want = skip + q.pageSize + 1;
    const length = await store.indexLength(index);
    const filtered = q.status !== undefined || q.since !== undefined || q.until !== undefined;
    const deleted = filtered ? 0 : await store.deletedIn(index);
    // Past the last entry nothing can match: answered without reading a record.
    if (skip >= length) {
      const total = filtered ? undefined : Math.max(0, length - deleted);
      if (total === undefined) return { items: [], page: q.page, hasMore: false };
      return {
        items: [],
        page: q.page,
        total,
        pageCount: Math.max(1, Math.ceil(total / q.pageSize)),
        hasMore: false,
      };
    }
    const items: TaskRecord[] = [];
    // Unfiltered with nothing deleted, every entry is shown: page p starts at its own position.
    let position = !filtered && deleted === 0 ? Math.min(skip, length) : 0;
    const budget = position + Math.min(want - position + PAGE_SCAN_SLACK, MAX_PAGE_SCAN);
    let matched = position;
    let exhausted = false;
    while (matched < want && !exhausted) {
      const count = Math.min(PAGE_BATCH, Math.max(want - matched, 1), budget - position, length - position);
      if (count <= 0) {
        exhausted = position >= length;
        break;
      }
      const ids = await store.newest(index, position, count);
      position += count;
      for (const rec of await store.getMany(ids)) {
        if (q.since !== undefined && rec.createdAt < q.since - SINCE_MARGIN_MS) {
          exhausted = true;
          break;
        }
        if (!matches(rec, q)) continue;
        if (matched >= skip && items.length < q.pageSize) items.push(rec);
        matched++;
      }
      if (position >= length) exhausted = true;
    }
    // Stopped by the scan limit before the page began: say so rather than show an empty page.
    if (!exhausted && matched < skip) return { items, page: q.page, hasMore: false, searchLimit: budget };
    // Unfiltered, the index itself counts the tasks (less those deleted): exact at any depth.
    const total = exhausted ? matched : filtered ? undefined : Math.max(matched, length - deleted);
    if (total === undefined) return { items, page: q.page, hasMore: true };
    return {
      items,
      page: q.page,
      total,
      pageCount: Math.max(1, Math.ceil(total / q.pageSize)),
      hasMore: total > skip + q.pageSize,
    };
  });
}

function matches(rec: TaskRecord, q: PageQuery): boolean {
  if (rec.deleted || rec.scope.guildId !== q.guildId || rec.scope.platform !== q.platform) return false;
  if (q.status && rec.state !== q.status) return false;
  if (q.since !== undefined && rec.createdAt < q.since) return false;
  if (q.until !== undefined && rec.createdAt > q.until) return false;
  return true;
}

/**
 * A user's unfinished tasks and tasks created since `dayStart` (scans back at most a day), and
 * today's units: Kling's final figures, plus the table's estimate for tasks still running.
 */
export function userActivity(
  store: Pick<TaskStore, 'newest' | 'getMany'>,
  platform: Platform,
  guildId: string,
  userId: string,
  dayStart: number,
  now: number,
): Promise<{ active: number; today: number; unitsToday: number; unitsRunning: number }> {
  return guard('read your tasks', async () => {
    const index = { platform, guildId, userId };
    const cutoff = Math.min(dayStart, now - DAY_MS);
    let active = 0;
    let today = 0;
    let unitsToday = 0;
    let unitsRunning = 0;
    const round = (n: number) => Math.round(n * 100) / 100;
    const result = () => ({ active, today, unitsToday: round(unitsToday), unitsRunning: round(unitsRunning) });
    for (let position = 0; ; position += PAGE_BATCH) {
      const ids = await store.newest(index, position, PAGE_BATCH);
      if (ids.length === 0) break;
      for (const rec of await store.getMany(ids)) {
        if (rec.createdAt < cutoff) return result();
        if (rec.budget?.released) continue; // lost a race: it gave its slots back (budget-records.ts)
        if (!isFinal(rec.state)) active++;
        if (rec.createdAt < dayStart) continue;
        today++;
        const final = Number(rec.credits);
        if (rec.credits !== undefined && Number.isFinite(final)) unitsToday += final;
        else if (!isFinal(rec.state)) unitsRunning += expectedUnitsOf(rec.request) ?? 0;
      }
      if (ids.length < PAGE_BATCH) break;
    }
    return result();
  });
}

/** The name each user last asked under, from their newest task (ids without one are left out). */
export function userNames(
  store: Pick<TaskStore, 'newest' | 'getMany'>,
  platform: Platform,
  guildId: string,
  userIds: readonly string[],
): Promise<Map<string, string>> {
  return guard('read user names', async () => {
    const newest = await Promise.all(
      userIds.map(async (userId) => (await store.newest({ platform, guildId, userId }, 0, 1))[0]),
    );
    const recs = await store.getMany(newest.filter((id): id is string => id !== undefined));
    return new Map(recs.map((r) => [r.scope.userId, r.scope.userName]));
  });
}
