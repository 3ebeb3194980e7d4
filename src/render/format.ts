/** Small pure text helpers shared by the renderers. */

/**
 * The first `max` UTF-16 units of `text`, one fewer when the cut would fall between the two
 * halves of a surrogate pair (an emoji): a lone half shows as a broken character.
 */
export function sliceUnits(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}

export function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${sliceUnits(flat, max - 1).trimEnd()}…`;
}

/**
 * A count as English readers write it (`2,500`). Not `toLocaleString('en-US')`: the first call of
 * that opens ICU's locale data, which keeps about 4.5 MB of the node binary resident for good.
 */
export function groupedNumber(n: number): string {
  if (!Number.isSafeInteger(n)) return String(n);
  const digits = String(Math.abs(n));
  let out = '';
  for (let end = digits.length; end > 0; end -= 3)
    out = digits.slice(Math.max(0, end - 3), end) + (out ? `,${out}` : '');
  return n < 0 ? `-${out}` : out;
}

export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

const BAR_CELLS = 10;
export function progressBar(percent: number): string {
  const filled = Math.max(0, Math.min(BAR_CELLS, Math.round((percent / 100) * BAR_CELLS)));
  return '▰'.repeat(filled) + '▱'.repeat(BAR_CELLS - filled);
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Kling units as people read them: `1.5 units`, `1 unit`. */
export function unitsText(units: number | string): string {
  const n = typeof units === 'number' ? units : Number(units);
  if (!Number.isFinite(n)) return `${units} units`;
  const shown = Math.round(n * 100) / 100;
  return `${shown} unit${shown === 1 ? '' : 's'}`;
}

/** A task's cost for a card or a list row: Kling's final figure once known, else the table's estimate. */
export function costText(final: string | undefined, estimate: number | undefined): string | undefined {
  if (final !== undefined && final !== '') return unitsText(final);
  return estimate !== undefined ? `≈ ${unitsText(estimate)} (estimate)` : undefined;
}
