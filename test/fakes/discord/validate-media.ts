/**
 * Components V2 media rules the structural validator leaves open: a Media Gallery holds 1–10
 * items, each with a `media.url` (http, https or attachment://); a Thumbnail has one; a File
 * takes `attachment://` only; and every `attachment://name` must name a file of the message
 * (uploaded with this request, or kept from before on an edit). Discord refuses all of these with
 * 50035. https://discord.com/developers/docs/components/reference
 */
import type { Issues, IssuePath } from './errors.js';
import { isRecord, type JsonObject } from './json.js';

export const GALLERY_ITEMS = { min: 1, max: 10 } as const;
const MEDIA_SCHEMES = ['http:', 'https:', 'attachment:'];

function mediaUrl(issues: Issues, path: IssuePath, media: unknown, attachmentOnly: boolean): string | undefined {
  if (!isRecord(media)) {
    issues.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
    return undefined;
  }
  const url = media.url;
  if (typeof url !== 'string' || url === '') {
    issues.add([...path, 'url'], 'BASE_TYPE_REQUIRED', 'This field is required');
    return undefined;
  }
  let scheme = '';
  try {
    scheme = new URL(url).protocol;
  } catch {
    issues.add([...path, 'url'], 'URL_TYPE_INVALID_URL', 'Not a well formed URL.');
    return undefined;
  }
  const allowed = attachmentOnly ? ['attachment:'] : MEDIA_SCHEMES;
  if (!allowed.includes(scheme))
    issues.add([...path, 'url'], 'URL_TYPE_INVALID_SCHEME', `Scheme "${scheme.slice(0, -1)}" is not supported.`);
  return url;
}

/** Checks the media components of a V2 message (depth-first) and returns every attachment:// name they use. */
export function validateV2Media(
  issues: Issues,
  components: readonly JsonObject[],
): Array<{ name: string; path: IssuePath }> {
  const refs: Array<{ name: string; path: IssuePath }> = [];
  const note = (url: string | undefined, path: IssuePath) => {
    if (url?.startsWith('attachment://')) refs.push({ name: url.slice('attachment://'.length), path });
  };
  const walk = (c: unknown, path: IssuePath): void => {
    if (!isRecord(c)) return;
    if (c.type === 12) {
      const items = c.items;
      if (!Array.isArray(items) || items.length < GALLERY_ITEMS.min || items.length > GALLERY_ITEMS.max) {
        issues.add(
          [...path, 'items'],
          'BASE_TYPE_BAD_LENGTH',
          `Must be between ${GALLERY_ITEMS.min} and ${GALLERY_ITEMS.max} in length.`,
        );
      }
      (Array.isArray(items) ? items : []).forEach((item, i) => {
        const p = [...path, 'items', i, 'media'];
        if (!isRecord(item)) return issues.add([...path, 'items', i], 'MODEL_TYPE_CONVERT', 'Only dictionaries');
        if (typeof item.description === 'string' && [...item.description].length > 1024)
          issues.add([...path, 'items', i, 'description'], 'BASE_TYPE_MAX_LENGTH', 'Must be 1024 or fewer in length.');
        note(mediaUrl(issues, p, item.media, false), p);
      });
    }
    if (c.type === 11) note(mediaUrl(issues, [...path, 'media'], c.media, false), [...path, 'media']);
    if (c.type === 13) note(mediaUrl(issues, [...path, 'file'], c.file, true), [...path, 'file']);
    if (Array.isArray(c.components)) c.components.forEach((ch, j) => walk(ch, [...path, 'components', j]));
    if (isRecord(c.accessory)) walk(c.accessory, [...path, 'accessory']);
  };
  components.forEach((c, i) => walk(c, ['components', i]));
  return refs;
}

/** Every attachment:// name must be one of the message's files (Discord matches by filename). */
export function checkAttachmentRefs(
  issues: Issues,
  refs: ReadonlyArray<{ name: string; path: IssuePath }>,
  filenames: ReadonlySet<string>,
): void {
  for (const ref of refs)
    if (!filenames.has(ref.name))
      issues.add(
        [...ref.path, 'url'],
        'UNFURLED_MEDIA_ITEM_ATTACHMENT_NOT_FOUND',
        `No attachment named ${ref.name} on this message.`,
      );
}
