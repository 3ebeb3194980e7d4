/**
 * Discord markdown in user text (prompts, display names, Kling's failure text) is shown as typed:
 * `[✅ Download](https://evil.example)` in a prompt would otherwise render as a masked link in
 * the bot's own card, and `<@123>`, `# heading` or `||spoiler||` would change how it reads.
 */

/** Characters that start or close markdown, a masked link or a `<…>` mention/timestamp anywhere in a line. */
const INLINE = /[\\*_~`|<>[\]()]/g;
/** Block syntax only counts at the start of a line: headings, `-#` subtext, lists, quotes. */
const LINE_START = /^(\s*)([#>+-]|\d+\.)/gm;

/** A bare link: left as it is, so it stays a working (visible) link; a backslash inside would break it. */
const BARE_URL = /(https?:\/\/[^\s<>]+)/;

export function escapeMarkdown(text: string): string {
  const inline = text
    .split(BARE_URL)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(INLINE, '\\$&')))
    .join('');
  return inline.replace(
    LINE_START,
    (_m, space: string, mark: string) => `${space}${mark.endsWith('.') ? `${mark.slice(0, -1)}\\.` : `\\${mark}`}`,
  );
}

/** Escapes, then cuts to `max` code points (as Discord counts) without splitting an escape (see `clip`). */
export function escapeClipped(text: string, max: number): string {
  return clip(escapeMarkdown(text), max);
}

/**
 * Cuts to `max` characters (code points, as Discord counts), marking the cut. An odd run of
 * backslashes at the cut is one escape split in two (text from `escapeClipped`): its half goes.
 */
export function clip(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(0, Math.max(0, max - 1));
  let trailing = 0;
  for (let i = cut.length - 1; i >= 0 && cut[i] === '\\'; i--) trailing++;
  return `${(trailing % 2 === 1 ? cut.slice(0, -1) : cut).join('').trimEnd()}…`;
}
