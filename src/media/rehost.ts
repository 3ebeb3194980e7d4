import type { MediaCopy, TaskRecord } from '../domain.js';
import { MEDIA_LIFETIME_MS } from '../render/card.js';

/** `npm run rehost` takes the tasks whose Kling links die within this long (issue 18: 7 days). */
export const REHOST_WINDOW_MS = 7 * 86_400_000;

/** What rehost does with one stored task. */
export type RehostChoice = 'upload' | 'expired' | 'skip';

/**
 * upload: a finished task with results and a card, whose link dies within the window, and that
 * has no settled copy (none tried, or the upload failed). expired: Kling has deleted it already,
 * so nothing is fetched and its card is left alone. skip: everything else.
 */
export function rehostChoice(rec: TaskRecord, now: number, windowMs = REHOST_WINDOW_MS): RehostChoice {
  if (rec.deleted || rec.state !== 'succeed' || !rec.card || rec.finishedAt === undefined) return 'skip';
  const results = (rec.result?.videos.length ?? 0) + (rec.result?.images.length ?? 0);
  if (results === 0) return 'skip';
  const expiresAt = rec.finishedAt + MEDIA_LIFETIME_MS;
  if (expiresAt <= now) return 'expired';
  if (expiresAt - now > windowMs) return 'skip';
  const settled = rec.media !== undefined && !rec.media.some((c) => c.outcome === 'failed');
  return settled ? 'skip' : 'upload';
}

export interface RehostSummary {
  /** Tasks whose links die within the window (or died already) and had no copy. */
  total: number;
  uploaded: number;
  tooLarge: number;
  /** Kling no longer had it: a 404/410 during the run, or past its 30 days before it. */
  gone: number;
  /** Download or upload failed, the platform refused it, or the card is gone. */
  failed: number;
}

/** One task's outcome from the copies its card ended with (undefined: nothing was written). */
export function outcomeOf(copies: readonly MediaCopy[] | undefined): 'uploaded' | 'tooLarge' | 'gone' | 'failed' {
  if (!copies || copies.length === 0) return 'failed';
  if (copies.every((c) => c.outcome === 'uploaded')) return 'uploaded';
  if (copies.some((c) => c.outcome === 'failed')) return 'failed';
  if (copies.some((c) => c.outcome === 'too_large')) return 'tooLarge';
  return 'gone';
}

export interface RehostDeps {
  /** Every stored task id, and reading records by id (in batches). */
  ids(): Promise<string[]>;
  getMany(ids: readonly string[]): Promise<TaskRecord[]>;
  now: () => number;
  /** Shows the task's card again with its copies wanted; resolves with the copies the card ended with. */
  rehost(rec: TaskRecord): Promise<MediaCopy[] | undefined>;
  /** Tasks handled at once (their transfers are bounded again by MEDIA_CONCURRENCY). */
  concurrency: number;
  onProgress?: (done: number, summary: RehostSummary) => void;
  windowMs?: number;
}

const BATCH = 200;

/** Walks the store and re-hosts what the window holds, a few tasks at a time; returns the tally. */
export async function runRehost(deps: RehostDeps): Promise<RehostSummary> {
  const summary: RehostSummary = { total: 0, uploaded: 0, tooLarge: 0, gone: 0, failed: 0 };
  const todo: TaskRecord[] = [];
  const ids = await deps.ids();
  for (let i = 0; i < ids.length; i += BATCH) {
    for (const rec of await deps.getMany(ids.slice(i, i + BATCH))) {
      const choice = rehostChoice(rec, deps.now(), deps.windowMs);
      if (choice === 'upload') todo.push(rec);
      if (choice === 'expired' && !rec.media?.some((c) => c.outcome !== 'failed')) summary.gone++;
    }
  }
  summary.total = todo.length + summary.gone;
  let done = summary.gone;
  deps.onProgress?.(done, summary);
  // Soonest to die first: if the run is cut short, those are the ones that mattered most.
  todo.sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0));
  const next = () => todo.shift();
  const worker = async () => {
    for (let rec = next(); rec; rec = next()) {
      summary[outcomeOf(await deps.rehost(rec))]++;
      deps.onProgress?.(++done, summary);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.concurrency) }, worker));
  return summary;
}
