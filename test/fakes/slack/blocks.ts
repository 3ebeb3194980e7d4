/**
 * Block Kit validation for the fake Slack, modelled on what the real
 * chat.postMessage / chat.update / chat.postEphemeral / response_url reject.
 *
 * Error strings follow Slack's `response_metadata.messages` style:
 *   "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Limits enforced by the fake (documented Slack Block Kit limits). */
export const BLOCK_LIMITS = {
  maxBlocks: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  imageUrl: 3000,
  altText: 2000,
  imageTitle: 2000,
  markdownBlockText: 12000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  accessibilityLabel: 75,
  /** Sum of every text string in the blocks; over it → msg_blocks_too_long. */
  totalText: 13000,
} as const;

export type BlocksError = 'invalid_blocks' | 'invalid_blocks_format' | 'msg_blocks_too_long';

export type BlocksCheck =
  { ok: true; blocks: JsonObject[]; totalText: number } | { ok: false; error: BlocksError; messages: string[] };

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isJson(v: unknown): v is Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJson);
  if (isRecord(v)) return Object.values(v).every(isJson);
  return false;
}

interface Ctx {
  errors: string[];
  blockIds: Set<string>;
  actionIds: Set<string>;
  totalText: number;
}

function err(ctx: Ctx, path: string, msg: string): void {
  ctx.errors.push(`[ERROR] ${msg} [json-pointer:${path}]`);
}

function allowedKeys(ctx: Ctx, v: Record<string, unknown>, path: string, keys: readonly string[]): void {
  for (const k of Object.keys(v)) {
    if (!keys.includes(k)) err(ctx, `${path}/${k}`, `unsupported property '${k}'`);
  }
}

function checkString(
  ctx: Ctx,
  v: unknown,
  path: string,
  opts: { max: number; min?: number; required?: boolean },
): v is string {
  if (v === undefined) {
    if (opts.required) err(ctx, path, 'missing required field');
    return false;
  }
  if (typeof v !== 'string') {
    err(ctx, path, 'must be a string');
    return false;
  }
  const min = opts.min ?? 1;
  if (v.length < min) {
    err(ctx, path, `must be more than ${min - 1} characters`);
    return false;
  }
  if (v.length > opts.max) {
    err(ctx, path, `must be less than ${opts.max + 1} characters`);
    return false;
  }
  return true;
}

function checkUrl(ctx: Ctx, v: unknown, path: string, max: number, required: boolean): void {
  if (!checkString(ctx, v, path, { max, required })) return;
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') err(ctx, path, 'must be a valid URL');
  } catch {
    err(ctx, path, 'must be a valid URL');
  }
}

function checkTextObject(
  ctx: Ctx,
  v: unknown,
  path: string,
  opts: { max: number; plainOnly?: boolean; required?: boolean },
): void {
  if (v === undefined) {
    if (opts.required ?? true) err(ctx, path, 'missing required field');
    return;
  }
  if (!isRecord(v)) {
    err(ctx, path, 'must be an object');
    return;
  }
  const type = v['type'];
  if (type !== 'plain_text' && type !== 'mrkdwn') {
    err(ctx, `${path}/type`, "must be one of 'plain_text', 'mrkdwn'");
    return;
  }
  if (opts.plainOnly && type !== 'plain_text') {
    err(ctx, `${path}/type`, "must be 'plain_text'");
    return;
  }
  if (type === 'plain_text') {
    allowedKeys(ctx, v, path, ['type', 'text', 'emoji']);
    if (v['emoji'] !== undefined && typeof v['emoji'] !== 'boolean') err(ctx, `${path}/emoji`, 'must be a boolean');
  } else {
    allowedKeys(ctx, v, path, ['type', 'text', 'verbatim']);
    if (v['verbatim'] !== undefined && typeof v['verbatim'] !== 'boolean') {
      err(ctx, `${path}/verbatim`, 'must be a boolean');
    }
  }
  const text = v['text'];
  if (typeof text === 'string') ctx.totalText += text.length;
  checkString(ctx, text, `${path}/text`, { max: opts.max, required: true });
}

function checkActionId(ctx: Ctx, v: Record<string, unknown>, path: string): void {
  const id = v['action_id'];
  if (id === undefined) return; // Slack generates one
  if (!checkString(ctx, id, `${path}/action_id`, { max: BLOCK_LIMITS.actionId })) return;
  if (ctx.actionIds.has(id)) err(ctx, `${path}/action_id`, `duplicate action_id '${id}' in message`);
  ctx.actionIds.add(id);
}

function checkConfirm(ctx: Ctx, v: unknown, path: string): void {
  if (v === undefined) return;
  if (!isRecord(v)) {
    err(ctx, path, 'must be an object');
    return;
  }
  allowedKeys(ctx, v, path, ['title', 'text', 'confirm', 'deny', 'style']);
  checkTextObject(ctx, v['title'], `${path}/title`, { max: BLOCK_LIMITS.confirmTitle, plainOnly: true });
  checkTextObject(ctx, v['text'], `${path}/text`, { max: BLOCK_LIMITS.confirmText });
  checkTextObject(ctx, v['confirm'], `${path}/confirm`, { max: BLOCK_LIMITS.confirmButton, plainOnly: true });
  checkTextObject(ctx, v['deny'], `${path}/deny`, { max: BLOCK_LIMITS.confirmButton, plainOnly: true });
  const style = v['style'];
  if (style !== undefined && style !== 'primary' && style !== 'danger') {
    err(ctx, `${path}/style`, "must be one of 'primary', 'danger'");
  }
}

function checkButton(ctx: Ctx, v: Record<string, unknown>, path: string): void {
  allowedKeys(ctx, v, path, ['type', 'text', 'action_id', 'url', 'value', 'style', 'confirm', 'accessibility_label']);
  checkTextObject(ctx, v['text'], `${path}/text`, { max: BLOCK_LIMITS.buttonText, plainOnly: true });
  checkActionId(ctx, v, path);
  if (v['url'] !== undefined) checkUrl(ctx, v['url'], `${path}/url`, BLOCK_LIMITS.buttonUrl, false);
  if (v['value'] !== undefined) checkString(ctx, v['value'], `${path}/value`, { max: BLOCK_LIMITS.buttonValue });
  const style = v['style'];
  if (style !== undefined && style !== 'primary' && style !== 'danger') {
    err(ctx, `${path}/style`, "must be one of 'primary', 'danger'");
  }
  checkConfirm(ctx, v['confirm'], `${path}/confirm`);
  if (v['accessibility_label'] !== undefined) {
    checkString(ctx, v['accessibility_label'], `${path}/accessibility_label`, {
      max: BLOCK_LIMITS.accessibilityLabel,
    });
  }
}

function checkImageElement(ctx: Ctx, v: Record<string, unknown>, path: string): void {
  allowedKeys(ctx, v, path, ['type', 'image_url', 'slack_file', 'alt_text']);
  if (v['slack_file'] === undefined) checkUrl(ctx, v['image_url'], `${path}/image_url`, BLOCK_LIMITS.imageUrl, true);
  else if (!isRecord(v['slack_file'])) err(ctx, `${path}/slack_file`, 'must be an object');
  checkString(ctx, v['alt_text'], `${path}/alt_text`, { max: BLOCK_LIMITS.altText, required: true });
}

/** Interactive elements other than button: action_id and placeholder checked, the rest shallowly. */
const OTHER_INTERACTIVE = new Set([
  'static_select',
  'multi_static_select',
  'external_select',
  'multi_external_select',
  'users_select',
  'multi_users_select',
  'conversations_select',
  'multi_conversations_select',
  'channels_select',
  'multi_channels_select',
  'overflow',
  'datepicker',
  'timepicker',
  'datetimepicker',
  'checkboxes',
  'radio_buttons',
  'workflow_button',
]);

function checkInteractive(ctx: Ctx, v: unknown, path: string, allowImage: boolean): void {
  if (!isRecord(v)) {
    err(ctx, path, 'must be an object');
    return;
  }
  const type = v['type'];
  if (type === 'button') return checkButton(ctx, v, path);
  if (type === 'image' && allowImage) return checkImageElement(ctx, v, path);
  if (typeof type === 'string' && OTHER_INTERACTIVE.has(type)) {
    checkActionId(ctx, v, path);
    if (v['placeholder'] !== undefined) {
      checkTextObject(ctx, v['placeholder'], `${path}/placeholder`, { max: 150, plainOnly: true });
    }
    checkConfirm(ctx, v['confirm'], `${path}/confirm`);
    return;
  }
  err(ctx, `${path}/type`, `unsupported element type '${String(type)}'`);
}

function checkBlock(ctx: Ctx, b: unknown, path: string): void {
  if (!isRecord(b)) {
    err(ctx, path, 'must be an object');
    return;
  }
  const blockId = b['block_id'];
  if (blockId !== undefined && checkString(ctx, blockId, `${path}/block_id`, { max: BLOCK_LIMITS.blockId })) {
    if (ctx.blockIds.has(blockId)) err(ctx, `${path}/block_id`, `duplicate block_id '${blockId}'`);
    ctx.blockIds.add(blockId);
  }
  const type = b['type'];
  switch (type) {
    case 'section': {
      allowedKeys(ctx, b, path, ['type', 'block_id', 'text', 'fields', 'accessory', 'expand']);
      if (b['text'] === undefined && b['fields'] === undefined) {
        err(ctx, path, "must provide either 'text' or 'fields'");
      }
      if (b['text'] !== undefined) checkTextObject(ctx, b['text'], `${path}/text`, { max: BLOCK_LIMITS.sectionText });
      const fields = b['fields'];
      if (fields !== undefined) {
        if (!Array.isArray(fields)) err(ctx, `${path}/fields`, 'must be an array');
        else {
          if (fields.length === 0) err(ctx, `${path}/fields`, 'must provide at least 1 item');
          if (fields.length > BLOCK_LIMITS.sectionFields) {
            err(ctx, `${path}/fields`, `no more than ${BLOCK_LIMITS.sectionFields} items allowed`);
          }
          fields.forEach((f, i) => checkTextObject(ctx, f, `${path}/fields/${i}`, { max: BLOCK_LIMITS.fieldText }));
        }
      }
      if (b['accessory'] !== undefined) checkInteractive(ctx, b['accessory'], `${path}/accessory`, true);
      if (b['expand'] !== undefined && typeof b['expand'] !== 'boolean')
        err(ctx, `${path}/expand`, 'must be a boolean');
      return;
    }
    case 'header':
      allowedKeys(ctx, b, path, ['type', 'block_id', 'text']);
      checkTextObject(ctx, b['text'], `${path}/text`, { max: BLOCK_LIMITS.headerText, plainOnly: true });
      return;
    case 'divider':
      allowedKeys(ctx, b, path, ['type', 'block_id']);
      return;
    case 'context': {
      allowedKeys(ctx, b, path, ['type', 'block_id', 'elements']);
      const els = b['elements'];
      if (!Array.isArray(els)) {
        err(ctx, `${path}/elements`, els === undefined ? 'missing required field' : 'must be an array');
        return;
      }
      if (els.length === 0) err(ctx, `${path}/elements`, 'must provide at least 1 item');
      if (els.length > BLOCK_LIMITS.contextElements) {
        err(ctx, `${path}/elements`, `no more than ${BLOCK_LIMITS.contextElements} items allowed`);
      }
      els.forEach((e, i) => {
        const p = `${path}/elements/${i}`;
        if (isRecord(e) && e['type'] === 'image') checkImageElement(ctx, e, p);
        else checkTextObject(ctx, e, p, { max: BLOCK_LIMITS.sectionText });
      });
      return;
    }
    case 'actions': {
      allowedKeys(ctx, b, path, ['type', 'block_id', 'elements']);
      const els = b['elements'];
      if (!Array.isArray(els)) {
        err(ctx, `${path}/elements`, els === undefined ? 'missing required field' : 'must be an array');
        return;
      }
      if (els.length === 0) err(ctx, `${path}/elements`, 'must provide at least 1 item');
      if (els.length > BLOCK_LIMITS.actionsElements) {
        err(ctx, `${path}/elements`, `no more than ${BLOCK_LIMITS.actionsElements} items allowed`);
      }
      els.forEach((e, i) => checkInteractive(ctx, e, `${path}/elements/${i}`, false));
      return;
    }
    case 'image':
      allowedKeys(ctx, b, path, ['type', 'block_id', 'image_url', 'slack_file', 'alt_text', 'title']);
      if (b['slack_file'] === undefined)
        checkUrl(ctx, b['image_url'], `${path}/image_url`, BLOCK_LIMITS.imageUrl, true);
      checkString(ctx, b['alt_text'], `${path}/alt_text`, { max: BLOCK_LIMITS.altText, required: true });
      if (b['title'] !== undefined) {
        checkTextObject(ctx, b['title'], `${path}/title`, { max: BLOCK_LIMITS.imageTitle, plainOnly: true });
      }
      return;
    case 'video':
      allowedKeys(ctx, b, path, [
        'type',
        'block_id',
        'alt_text',
        'author_name',
        'description',
        'provider_icon_url',
        'provider_name',
        'title',
        'title_url',
        'thumbnail_url',
        'video_url',
      ]);
      checkString(ctx, b['alt_text'], `${path}/alt_text`, { max: BLOCK_LIMITS.altText, required: true });
      checkTextObject(ctx, b['title'], `${path}/title`, { max: 200, plainOnly: true });
      checkUrl(ctx, b['thumbnail_url'], `${path}/thumbnail_url`, 3000, true);
      checkUrl(ctx, b['video_url'], `${path}/video_url`, 3000, true);
      if (b['title_url'] !== undefined) checkUrl(ctx, b['title_url'], `${path}/title_url`, 3000, false);
      if (b['description'] !== undefined) {
        checkTextObject(ctx, b['description'], `${path}/description`, { max: 200, plainOnly: true });
      }
      return;
    case 'markdown': {
      allowedKeys(ctx, b, path, ['type', 'block_id', 'text']);
      const text = b['text'];
      if (typeof text === 'string') ctx.totalText += text.length;
      checkString(ctx, text, `${path}/text`, { max: BLOCK_LIMITS.markdownBlockText, required: true });
      return;
    }
    case 'rich_text':
      allowedKeys(ctx, b, path, ['type', 'block_id', 'elements']);
      if (!Array.isArray(b['elements'])) err(ctx, `${path}/elements`, 'must be an array');
      return;
    case 'input':
      allowedKeys(ctx, b, path, ['type', 'block_id', 'label', 'element', 'dispatch_action', 'hint', 'optional']);
      checkTextObject(ctx, b['label'], `${path}/label`, { max: 2000, plainOnly: true });
      if (!isRecord(b['element'])) err(ctx, `${path}/element`, 'missing required field');
      return;
    case 'file':
      allowedKeys(ctx, b, path, ['type', 'block_id', 'external_id', 'source']);
      checkString(ctx, b['external_id'], `${path}/external_id`, { max: 255, required: true });
      if (b['source'] !== 'remote') err(ctx, `${path}/source`, "must be 'remote'");
      return;
    default:
      err(ctx, `${path}/type`, `unsupported block type '${String(type)}'`);
  }
}

/**
 * Decode a `blocks` argument the way Slack does: a JSON-encoded string (form posts) or an array (JSON posts).
 * Returns undefined when absent.
 */
export function decodeBlocksParam(raw: unknown): { ok: true; blocks: unknown } | { ok: false } | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') {
    if (raw === '') return undefined;
    try {
      const parsed: unknown = JSON.parse(raw);
      return { ok: true, blocks: parsed };
    } catch {
      return { ok: false };
    }
  }
  return { ok: true, blocks: raw };
}

/** Validate a decoded blocks value. */
export function validateBlocks(blocks: unknown): BlocksCheck {
  if (!Array.isArray(blocks) || !isJson(blocks)) {
    return {
      ok: false,
      error: 'invalid_blocks_format',
      messages: ['[ERROR] must be a JSON array of block objects [json-pointer:/blocks]'],
    };
  }
  const ctx: Ctx = { errors: [], blockIds: new Set(), actionIds: new Set(), totalText: 0 };
  if (blocks.length > BLOCK_LIMITS.maxBlocks) {
    err(ctx, '/blocks', `no more than ${BLOCK_LIMITS.maxBlocks} items allowed`);
  }
  blocks.forEach((b, i) => checkBlock(ctx, b, `/blocks/${i}`));
  if (ctx.errors.length > 0) return { ok: false, error: 'invalid_blocks', messages: ctx.errors };
  if (ctx.totalText > BLOCK_LIMITS.totalText) {
    return {
      ok: false,
      error: 'msg_blocks_too_long',
      messages: [`[ERROR] total text in blocks is ${ctx.totalText} characters, over ${BLOCK_LIMITS.totalText}`],
    };
  }
  const objects = blocks.filter((b): b is JsonObject => isRecord(b));
  return { ok: true, blocks: objects, totalText: ctx.totalText };
}

function shortId(seed: string): string {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0).toString(36).slice(0, 5).padEnd(4, 'x');
}

function cloneJson<T extends Json>(v: T): T {
  return structuredClone(v);
}

/**
 * What Slack stores/returns: a copy where every block has a `block_id` and every interactive
 * element an `action_id` (Slack generates short random ids; the fake derives them from position).
 */
export function normalizeBlocks(blocks: readonly JsonObject[], seed: string): JsonObject[] {
  return blocks.map((orig, i) => {
    const b = cloneJson(orig);
    if (typeof b['block_id'] !== 'string') b['block_id'] = shortId(`${seed}/b${i}`);
    const fill = (el: Json, j: string): void => {
      if (el !== null && typeof el === 'object' && !Array.isArray(el)) {
        const t = el['type'];
        if (
          typeof t === 'string' &&
          (t === 'button' || OTHER_INTERACTIVE.has(t)) &&
          typeof el['action_id'] !== 'string'
        ) {
          el['action_id'] = shortId(`${seed}/b${i}/${j}`);
        }
      }
    };
    const els = b['elements'];
    if (b['type'] === 'actions' && Array.isArray(els)) els.forEach((el, j) => fill(el, `e${j}`));
    const acc = b['accessory'];
    if (acc !== undefined) fill(acc, 'acc');
    return b;
  });
}

export interface FoundButton {
  blockId: string;
  actionId: string;
  text: string;
  value: string | undefined;
  url: string | undefined;
  style: string | undefined;
}

/** Every button in (normalized) blocks: actions elements and section accessories. */
export function findButtons(blocks: readonly Json[] | undefined): FoundButton[] {
  const out: FoundButton[] = [];
  for (const b of blocks ?? []) {
    if (b === null || typeof b !== 'object' || Array.isArray(b)) continue;
    const blockId = typeof b['block_id'] === 'string' ? b['block_id'] : '';
    const candidates: Json[] = [];
    const els = b['elements'];
    if (b['type'] === 'actions' && Array.isArray(els)) candidates.push(...els);
    const acc = b['accessory'];
    if (acc !== undefined) candidates.push(acc);
    for (const el of candidates) {
      if (el === null || typeof el !== 'object' || Array.isArray(el) || el['type'] !== 'button') continue;
      const textObj = el['text'];
      const text =
        textObj !== null &&
        typeof textObj === 'object' &&
        !Array.isArray(textObj) &&
        typeof textObj['text'] === 'string'
          ? textObj['text']
          : '';
      out.push({
        blockId,
        actionId: typeof el['action_id'] === 'string' ? el['action_id'] : '',
        text,
        value: typeof el['value'] === 'string' ? el['value'] : undefined,
        url: typeof el['url'] === 'string' ? el['url'] : undefined,
        style: typeof el['style'] === 'string' ? el['style'] : undefined,
      });
    }
  }
  return out;
}

/** All human-visible text in blocks (text objects, markdown blocks), in order — handy for assertions. */
export function blockTexts(blocks: readonly Json[] | undefined): string[] {
  const out: string[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const t = v['type'];
    if ((t === 'plain_text' || t === 'mrkdwn' || t === 'markdown') && typeof v['text'] === 'string') {
      out.push(v['text']);
    }
    for (const [k, child] of Object.entries(v)) {
      if (k !== 'text' || typeof child !== 'string') walk(child);
    }
  };
  for (const b of blocks ?? []) walk(b);
  return out;
}
