import { sliceUnits } from '../../render/format.js';

/**
 * Slack's text conventions, both ways. Outgoing text must escape `&`, `<` and `>` (they start
 * Slack's control sequences: a prompt containing `<!channel>` would otherwise ping everyone);
 * incoming slash-command text arrives escaped the same way, with links possibly wrapped.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escapes user-provided text for any Slack text field (mrkdwn or the message's `text`). */
export const escapeText = (text: string): string => text.replace(/[&<>]/g, (c) => ESCAPES[c] ?? c);

/**
 * Escapes `text` and cuts it to at most `max` characters of output without splitting an entity,
 * ending with "…" when cut. Escaping can grow text up to five times, so the cut is on the output.
 */
export function escapeClamped(text: string, max: number): string {
  const out: string[] = [];
  let length = 0;
  for (const ch of text) {
    const piece = ESCAPES[ch] ?? ch;
    if (length + piece.length > max - 1) {
      out.push('…');
      return out.join('');
    }
    out.push(piece);
    length += piece.length;
  }
  return out.join('');
}

/** Plain cut (for plain_text fields, which Slack does not parse), never inside a surrogate pair. */
export function clamp(text: string, max: number): string {
  return text.length <= max ? text : `${sliceUnits(text, Math.max(0, max - 1))}…`;
}

/** `**bold**` (how core notices mark a field name) → Slack's `*bold*`, after escaping. */
export const neutralToMrkdwn = (text: string): string => escapeText(text).replace(/\*\*(.+?)\*\*/g, '*$1*');

/** A URL safe inside `<url|label>`: `|` and `>` would end the link early. */
export const linkUrl = (url: string): string =>
  url.replace(/&/g, '&amp;').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/\|/g, '%7C');

/** `<url|label>` with the label escaped. */
export const link = (url: string, label: string): string =>
  `<${linkUrl(url)}|${escapeText(label).replace(/\|/g, '¦')}>`;

/** Only http(s) URLs Slack accepts in a button (`url` ≤ 3000). */
export function isButtonUrl(url: string, max = 3000): boolean {
  if (url.length > max) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** `<!date^…>`: Slack shows it in the reader's time zone and keeps `{ago}` current without edits. */
export function slackDate(ms: number, format: string, fallback: string): string {
  return `<!date^${Math.floor(ms / 1000)}^${format}|${escapeText(fallback)}>`;
}

export const isSlackUserId = (id: string): boolean => /^[UW][A-Z0-9]{2,}$/.test(id);

/**
 * A user mention when the id looks like a Slack user id (Slack shows the current display name), else the escaped name.
 */
export function mention(id: string, name: string): string {
  return isSlackUserId(id) ? `<@${id}>` : escapeClamped(name, 200);
}

/**
 * Slash-command text as the user typed it: links and mentions unwrapped (`<https://x|x>` →
 * `https://x`, `<@U1|ann>` → `@ann`), then Slack's three entities decoded (`&amp;` last, so
 * `&amp;lt;` stays a literal `&lt;`).
 */
export function plainFromSlack(text: string): string {
  return text
    .replace(/<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>/g, '$1')
    .replace(/<@([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) => `@${name || id}`)
    .replace(/<#([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) => `#${name || id}`)
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>/g, (_m, name?: string) => name ?? '@group')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
