/** File names for uploaded results: a slug of the prompt and the task id (`a-red-fox-in-snow-kb3gq5w84t.mp4`). */

const SLUG_MAX = 40;

/** Lower-case ASCII words joined by dashes; accents dropped, everything else a separator. */
export function slug(text: string, max = SLUG_MAX): string {
  const words = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (words.length <= max) return words;
  const cut = words.slice(0, max);
  const lastDash = cut.lastIndexOf('-');
  return (lastDash > max / 2 ? cut.slice(0, lastDash) : cut).replace(/-+$/, '');
}

const TYPE_EXTENSIONS: Record<string, string> = {
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'video/webm': 'webm',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

function extensionOf(kind: 'video' | 'image', contentType: string, url: string): string {
  const byType = TYPE_EXTENSIONS[contentType.split(';')[0]?.trim().toLowerCase() ?? ''];
  if (byType) return byType;
  let path = '';
  try {
    path = new URL(url).pathname;
  } catch {
    // Not a URL: the kind decides.
  }
  const byPath = /\.(mp4|mov|webm|png|jpe?g|webp)$/i.exec(path)?.[1]?.toLowerCase();
  if (byPath) return byPath === 'jpeg' ? 'jpg' : byPath;
  return kind === 'video' ? 'mp4' : 'png';
}

/** `slug-of-prompt-<taskId>[-n].ext`; `n` (1-based) only when the task has more than one result. */
export function resultFilename(o: {
  prompt: string;
  taskId: string;
  index: number;
  count: number;
  kind: 'video' | 'image';
  contentType: string;
  url: string;
}): string {
  const base = slug(o.prompt) || 'kling';
  const id = o.taskId.replace(/[^A-Za-z0-9_-]/g, '');
  const n = o.count > 1 ? `-${o.index + 1}` : '';
  return `${base}-${id}${n}.${extensionOf(o.kind, o.contentType, o.url)}`;
}
