import { z } from 'zod';
import type { TaskState } from './domain.js';
import type { CardAction } from './render/view.js';

/**
 * Button ids (Discord custom_id ≤ 100 chars, Slack action value). Compact and versioned by
 * prefix; decoding is strict, so a forged id is just "unknown".
 */

const ACTION_CODES: Record<CardAction, string> = { refresh: 'r', regenerate: 'g', extend: 'x', edit: 'e', delete: 'd' };
const CODE_ACTIONS: Record<string, CardAction> = {
  r: 'refresh',
  g: 'regenerate',
  x: 'extend',
  e: 'edit',
  d: 'delete',
};

export const cardButtonId = (action: CardAction, taskId: string) => `kb:${ACTION_CODES[action]}:${taskId}`;

/** Ids for a paging button shown disabled at an end: no action code, so they can never decode as a click. */
export const DISABLED_PAGE_IDS = { prev: 'kb:-:prev', next: 'kb:-:next' } as const;

export interface PageQueryIds {
  /** Who ran /tasks: only they may turn its pages. */
  owner: string;
  page: number;
  pageSize: number;
  scope: 'channel' | 'mine';
  status?: Exclude<TaskState, 'pending' | 'queued'>;
  since?: number;
  until?: number;
}

const STATUS_CODES = { submitted: 's', processing: 'p', succeed: 'o', failed: 'f' } as const;
const CODE_STATUS: Record<string, PageQueryIds['status']> = {
  s: 'submitted',
  p: 'processing',
  o: 'succeed',
  f: 'failed',
};

const b36 = (n: number | undefined) => (n === undefined ? '' : Math.floor(n / 1000).toString(36));
const unb36 = (s: string) => (s === '' ? undefined : parseInt(s, 36) * 1000);

export function pageButtonId(q: PageQueryIds): string {
  return [
    'kb',
    'p',
    q.owner,
    q.page,
    q.pageSize,
    q.scope === 'mine' ? 'm' : 'c',
    q.status ? STATUS_CODES[q.status] : '',
    b36(q.since),
    b36(q.until),
  ].join(':');
}

const Segment = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);

export type DecodedId =
  { type: 'card'; action: CardAction; taskId: string } | { type: 'page'; query: PageQueryIds } | { type: 'unknown' };

export function decodeButtonId(id: string): DecodedId {
  const parts = id.split(':');
  if (parts[0] !== 'kb') return { type: 'unknown' };
  const action = CODE_ACTIONS[parts[1] ?? ''];
  if (action && parts.length === 3 && Segment.safeParse(parts[2]).success)
    return { type: 'card', action, taskId: parts[2] ?? '' };
  if (parts[1] === 'p' && parts.length === 9) {
    const [, , owner = '', page = '', size = '', scope = '', status = '', since = '', until = ''] = parts;
    const pageN = Number(page);
    const sizeN = Number(size);
    if (
      !Segment.safeParse(owner).success ||
      !Number.isInteger(pageN) ||
      pageN < 1 ||
      !Number.isInteger(sizeN) ||
      sizeN < 1 ||
      sizeN > 25
    )
      return { type: 'unknown' };
    if (!/^[0-9a-z]*$/.test(since + until) || (status && !CODE_STATUS[status]) || (scope !== 'm' && scope !== 'c'))
      return { type: 'unknown' };
    const query: PageQueryIds = { owner, page: pageN, pageSize: sizeN, scope: scope === 'm' ? 'mine' : 'channel' };
    const st = CODE_STATUS[status];
    if (st) query.status = st;
    const s = unb36(since);
    const u = unb36(until);
    if (s !== undefined) query.since = s;
    if (u !== undefined) query.until = u;
    return { type: 'page', query };
  }
  return { type: 'unknown' };
}
