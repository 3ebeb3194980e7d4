import { durationText, isoDate } from './format.js';
import type { CardView, PrivateView, TaskListView } from './view.js';

/** Plain-text renderings, for the terminal playground. */

export function cardToText(view: CardView, now: number): string {
  const lines = [
    `┌ ${view.title} · ${view.statusLine}`,
    `│ ${view.prompt}`,
    ...(view.progress
      ? [`│ ${view.progress.bar} ${view.progress.percent}%${view.progress.estimated ? ' (estimate)' : ''}`]
      : []),
    ...view.fields.map((f) => `│ ${f.label}: ${f.value}`),
    `│ ${view.tookText ? `Took ${view.tookText}` : `Elapsed ${durationText(now - view.startedAt)}`}`,
    ...(view.notice ? [`│ ⚠ ${view.notice}`] : []),
    ...view.media.map((m) => `│ ${m.label}: ${m.url}`),
    ...(view.expiresAt ? [`│ Links expire on ${isoDate(view.expiresAt)}`] : []),
    `└ [${view.buttons.map((b) => b.label).join('] [')}]`,
  ];
  return lines.join('\n');
}

export function listToText(list: TaskListView): string {
  const rows = list.rows.map(
    (r) =>
      `  ${r.taskId}  ${r.stateLabel.padEnd(10)} ${isoDate(r.createdAt)}  ${r.prompt}${r.units ? `  (${r.units})` : ''}${r.url ? `\n      ${r.url}` : ''}`,
  );
  return [
    `${list.title} (${list.filterText}) · ${list.positionText}`,
    ...(rows.length ? rows : [`  ${list.emptyText}`]),
  ].join('\n');
}

export function privateToText(view: PrivateView, now: number): string {
  if (view.kind === 'card') return cardToText(view.card, now);
  if (view.kind === 'list') return listToText(view.list);
  // Neutral texts mark emphasis as **bold**; a terminal has none.
  return `${view.tone === 'error' ? '✖' : 'ℹ'} ${view.title}: ${view.text.replace(/\*\*/g, '')}`;
}
