import type { Platform, TaskRecord, TaskState } from '../domain.js';
import type { Collections } from './collections.js';

/** Records read per batch while paging: a page is small, so is each read. */
export const PAGE_BATCH = 100;
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

type Scope = Pick<PageQuery, 'platform' | 'guildId'>;
const scopeKey = (platform: string, guildId: string) => `${platform}:${guildId}`;
export const channelIndex = (r: Scope, channelId: string) => `ch:${scopeKey(r.platform, r.guildId)}:${channelId}`;
export const userIndex = (r: Scope, userId: string) => `us:${scopeKey(r.platform, r.guildId)}:${userId}`;
export const dayCounter = (platform: string, guildId: string, day: string) =>
  `cnt:${scopeKey(platform, guildId)}:${day}`;

/** What paging reads: the index collections and the records they name. */
export interface PageSource {
  collections: Pick<Collections, 'indexLength' | 'counter' | 'newest'>;
  getMany(ids: readonly string[]): Promise<TaskRecord[]>;
}

function matches(rec: TaskRecord, q: PageQuery): boolean {
  if (rec.deleted || rec.scope.guildId !== q.guildId || rec.scope.platform !== q.platform) return false;
  if (q.status && rec.state !== q.status) return false;
  if (q.since !== undefined && rec.createdAt < q.since) return false;
  if (q.until !== undefined && rec.createdAt > q.until) return false;
  return true;
}

/**
 * Newest-first page of one channel's or one user's tasks in one server, filtered. Reads only
 * what the page needs (plus one, to know a next page exists), never the whole history: a
 * filtered page gives up after PAGE_SCAN_SLACK non-matching records and says "more".
 */
export async function readPage({ collections, getMany }: PageSource, q: PageQuery): Promise<Page> {
  const index = q.userId !== undefined ? userIndex(q, q.userId) : channelIndex(q, q.channelId ?? '');
  const skip = (q.page - 1) * q.pageSize;
  const want = skip + q.pageSize + 1;
  const length = await collections.indexLength(index);
  const filtered = q.status !== undefined || q.since !== undefined || q.until !== undefined;
  const deleted = filtered ? 0 : await collections.counter(`del:${index}`);
  // Past the last entry nothing can match: answered without reading a record.
  if (skip >= length) {
    if (filtered) return { items: [], page: q.page, hasMore: false };
    const total = Math.max(0, length - deleted);
    return { items: [], page: q.page, total, pageCount: Math.max(1, Math.ceil(total / q.pageSize)), hasMore: false };
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
    const ids = await collections.newest(index, position, count);
    position += count;
    for (const rec of await getMany(ids)) {
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
}
