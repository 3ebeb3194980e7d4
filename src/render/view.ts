import type { TaskKind, TaskState } from '../domain.js';

/** Card buttons; each adapter encodes them with the ids from `interaction-ids.ts`. */
export type CardAction = 'refresh' | 'regenerate' | 'extend' | 'edit' | 'delete';

/** A platform-neutral task card. Pure data: adapters turn it into embeds or blocks. */
export interface CardView {
  taskId: string;
  klingTaskId?: string;
  kind: TaskKind;
  state: TaskState;
  tone: 'pending' | 'active' | 'success' | 'failure' | 'warning';
  /** e.g. "🎬 Text to video". */
  title: string;
  /** e.g. "Processing · 40% (estimate)". */
  statusLine: string;
  progress?: { percent: number; estimated: boolean; bar: string };
  prompt: string;
  fields: Array<{ label: string; value: string }>;
  requester: { id: string; name: string };
  /** For relative time stamps that the client keeps current without edits. */
  startedAt: number;
  /** Set once final: how long the task took. */
  tookText?: string;
  /**
   * Results. `url` is Kling's link; `hosted`: the file was uploaded to the platform under this name
   * (Discord: an attachment of the card; Slack: a file in the card's thread), see src/media/;
   * `uploading`: not there yet (Slack edits the card before the file reaches its thread).
   */
  media: Array<{
    url: string;
    label: string;
    kind: 'video' | 'image';
    hosted?: { filename: string; uploading?: true };
  }>;
  /** What happened to the platform copy when it is not the plain case (too large, failed): one short line. */
  mediaNote?: string;
  /** Platform copies were tried before (a retry on Refresh): the requester is not mentioned again. */
  copiesTried?: true;
  /** Failure reason, provider delay, queue position. */
  notice?: string;
  /** When the provider deletes the media (30 days after finishing). */
  expiresAt?: number;
  /** When the provider says it finished (its clock): finals are written in this order (TaskRecord.doneAt). */
  doneAt?: number;
  buttons: Array<{ action: CardAction; label: string; style: 'primary' | 'secondary' | 'danger' }>;
  /** Plain-text summary: notifications, Slack's `text`, the terminal. */
  fallbackText: string;
  /** The card's own message, on a private copy of it (/task): where the uploaded result plays. */
  cardUrl?: string;
}

export interface TaskListRow {
  taskId: string;
  state: TaskState;
  stateLabel: string;
  prompt: string;
  createdAt: number;
  requesterName: string;
  url?: string;
  /** The card's message (see CardView.cardUrl). */
  cardUrl?: string;
  /** What it cost (Kling's figure) or, while running, the estimate. */
  units?: string;
}

export interface TaskListView {
  title: string;
  filterText: string;
  rows: TaskListRow[];
  page: number;
  /** Known only when the whole history behind the query was read (see pageOf in store/paging.ts). */
  pageCount?: number;
  total?: number;
  /** "page 2 of 3 · 47 tasks", or "page 2 · more after this" when the total is not known. */
  positionText: string;
  emptyText: string;
  /** Encoded page-button ids; absent at the ends. */
  prevId?: string;
  nextId?: string;
}

export type PrivateView =
  | { kind: 'notice'; tone: 'error' | 'info' | 'success'; title: string; text: string }
  | { kind: 'card'; card: CardView }
  | { kind: 'list'; list: TaskListView };
