import { isFinal, type TaskRecord } from '../domain.js';
import { expectedUnitsOf } from '../kling/rules.js';
import { pageButtonId, type PageQueryIds } from '../interaction-ids.js';
import type { Page } from '../store/paging.js';
import { stateLabel } from './card.js';
import { costText, groupedNumber, isoDate, shorten } from './format.js';
import type { TaskListView } from './view.js';

function filterText(q: PageQueryIds): string {
  const parts = [q.scope === 'mine' ? 'your tasks' : 'this channel'];
  if (q.status) parts.push(`status ${q.status}`);
  if (q.since !== undefined) parts.push(`since ${isoDate(q.since)}`);
  if (q.until !== undefined) parts.push(`until ${isoDate(q.until)}`);
  return parts.join(' · ');
}

const firstUrl = (t: TaskRecord) => t.result?.videos[0]?.url ?? t.result?.images[0]?.url;

function positionText(page: Page, more: boolean): string {
  if (page.total === undefined || page.pageCount === undefined)
    return `page ${page.page}${more ? ' · more after this' : ''}`;
  return `page ${page.page} of ${Math.max(1, page.pageCount)} · ${page.total} task${page.total === 1 ? '' : 's'}`;
}

/**
 * A page of history → list view with Prev/Next ids that carry the whole query. `cardLinks[i]`:
 * the message of item i's card, where known.
 */
export function renderTaskList(
  page: Page,
  q: PageQueryIds,
  cardLinks: ReadonlyArray<string | undefined> = [],
): TaskListView {
  const more = page.hasMore ?? (page.pageCount !== undefined && page.page < page.pageCount);
  const prevPage = page.pageCount !== undefined ? Math.min(page.page - 1, page.pageCount) : page.page - 1;
  return {
    title: 'Task history',
    filterText: filterText(q),
    rows: page.items.map((t, i) => {
      const url = firstUrl(t);
      const cardUrl = cardLinks[i];
      const units = costText(t.credits, isFinal(t.state) ? undefined : expectedUnitsOf(t.request));
      return {
        taskId: t.id,
        state: t.state,
        stateLabel: stateLabel(t.state),
        prompt: shorten(
          t.request.kind === 'storyboard'
            ? t.request.shots.map((s) => s.prompt).join(' | ')
            : (t.request.prompt ?? (t.request.kind === 'extend' ? '(extension, no prompt)' : '(image only)')),
          80,
        ),
        createdAt: t.createdAt,
        requesterName: t.scope.userName,
        ...(url ? { url } : {}),
        ...(cardUrl ? { cardUrl } : {}),
        ...(units ? { units } : {}),
      };
    }),
    page: page.page,
    ...(page.pageCount !== undefined ? { pageCount: page.pageCount } : {}),
    ...(page.total !== undefined ? { total: page.total } : {}),
    positionText: positionText(page, more),
    emptyText: page.searchLimit
      ? `This page is further back than one answer searches (${groupedNumber(page.searchLimit)} tasks): narrow it with since and until.`
      : page.total === 0
        ? 'No tasks match.'
        : 'This page is past the end.',
    ...(page.page > 1 ? { prevId: pageButtonId({ ...q, page: Math.max(1, prevPage) }) } : {}),
    ...(more ? { nextId: pageButtonId({ ...q, page: page.page + 1 }) } : {}),
  };
}
