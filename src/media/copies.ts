import type { MediaCopy } from '../domain.js';
import { isoDate } from '../render/format.js';
import type { CardView } from '../render/view.js';

/** Sizes as people read them: `12.4 MB` (decimal, as file managers show them). */
export function sizeText(bytes: number): string {
  if (bytes < 1_000_000) return `${Math.max(1, Math.round(bytes / 1000))} kB`;
  return `${Math.round(bytes / 100_000) / 10} MB`;
}

/** One short line for the card when a result is not shown from the platform's own copy. */
function noteOf(copy: MediaCopy, expiresAt: number | undefined): string | undefined {
  const until = expiresAt ? ` Kling's link works until ${isoDate(expiresAt)}.` : '';
  switch (copy.outcome) {
    case 'uploaded':
      return undefined;
    case 'too_large': {
      const size = copy.bytes ? `${sizeText(copy.bytes)}, ` : '';
      const limit = copy.limit ? `the limit here is ${sizeText(copy.limit)}` : 'over the limit here';
      return `Too large to upload here (${size}${limit}).${until}`;
    }
    case 'failed':
      return `The copy could not be uploaded here.${until}`;
    case 'gone':
      return 'Kling no longer has this result (links last 30 days).';
  }
}

/**
 * The view as the platform copies leave it: an uploaded result is `hosted` (the card plays it
 * from the platform), and the first result that was not uploaded explains itself in `mediaNote`.
 * Pure, so the card rendered from a stored record and the card written with the upload agree.
 */
export function withCopies(view: CardView, copies: readonly MediaCopy[] | undefined): CardView {
  if (!copies || view.state !== 'succeed') return view;
  // Decided before and cleared for another try (see retryCopies): no note, no second mention.
  if (copies.length === 0) return { ...view, copiesTried: true };
  const byUrl = new Map(copies.map((c) => [c.url, c] as const));
  const media = view.media.map((m) => {
    const copy = byUrl.get(m.url);
    return copy?.outcome === 'uploaded' && copy.filename ? { ...m, hosted: { filename: copy.filename } } : m;
  });
  const note = copies.map((c) => noteOf(c, view.expiresAt)).find((n) => n !== undefined);
  return { ...view, media, ...(note ? { mediaNote: note } : {}) };
}

/** A finished card whose results have no platform copy and no decision about one yet. */
export function wantsCopies(view: CardView): boolean {
  return view.state === 'succeed' && view.media.length > 0 && view.media.every((m) => !m.hosted) && !view.mediaNote;
}

/**
 * Refresh on a finished task: copies that failed are tried again (a too-large or gone result is
 * not: nothing would change). Undefined when there is nothing to try again.
 */
export function retryCopies(copies: readonly MediaCopy[] | undefined): MediaCopy[] | undefined {
  if (!copies?.some((c) => c.outcome === 'failed')) return undefined;
  return copies.filter((c) => c.outcome !== 'failed');
}
