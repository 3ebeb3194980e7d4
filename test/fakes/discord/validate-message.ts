/**
 * Validation of message bodies (create and edit), modelled on what Discord rejects with
 * 50035 Invalid Form Body. Limits: https://discord.com/developers/docs/resources/message
 */
import { Issues, type IssuePath } from './errors.js';
import { isInt, isRecord, isSnowflake, toJsonObject, type JsonObject } from './json.js';

export const LIMITS = {
  content: 2000,
  embeds: 10,
  embedTotal: 6000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  authorName: 256,
  url: 2048,
  actionRows: 5,
  rowComponents: 5,
  customId: 100,
  buttonLabel: 80,
  buttonUrl: 512,
  selectOptions: 25,
  selectPlaceholder: 150,
  v2TotalComponents: 40,
  v2TextTotal: 4000,
  nonce: 25,
  attachmentDescription: 1024,
} as const;

export const MessageFlag = {
  Crossposted: 1 << 0,
  SuppressEmbeds: 1 << 2,
  Ephemeral: 1 << 6,
  Loading: 1 << 7,
  SuppressNotifications: 1 << 12,
  IsVoiceMessage: 1 << 13,
  IsComponentsV2: 1 << 15,
} as const;

export interface AttachmentRef {
  id: string;
  filename?: string;
  description?: string;
}

export interface MessageReferenceInput {
  message_id?: string;
  channel_id?: string;
  guild_id?: string;
  fail_if_not_exists: boolean;
  type: number;
}

/** The validated subset of a message body; a key is present only if the body set it. */
export interface MessageInput {
  content?: string;
  embeds?: JsonObject[];
  components?: JsonObject[];
  flags?: number;
  attachments?: AttachmentRef[];
  messageReference?: MessageReferenceInput;
  nonce?: string | number;
  enforceNonce?: boolean;
  tts?: boolean;
  hasPoll: boolean;
  hasStickers: boolean;
}

type Path = IssuePath;

function str(
  issues: Issues,
  path: Path,
  v: unknown,
  opts: { max: number; min?: number; required?: boolean; notBlank?: boolean },
): string | undefined {
  if (v === undefined || v === null) {
    if (opts.required) issues.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
    return undefined;
  }
  if (typeof v !== 'string') {
    issues.add(path, 'BASE_TYPE_STRING', 'Must be a string.');
    return undefined;
  }
  const min = opts.min ?? 0;
  const len = [...v].length;
  if (opts.notBlank && v.trim() === '') {
    issues.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
    return v;
  }
  if (len > opts.max || len < min) {
    if (min > 0) issues.add(path, 'BASE_TYPE_BAD_LENGTH', `Must be between ${min} and ${opts.max} in length.`);
    else issues.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${opts.max} or fewer in length.`);
  }
  return v;
}

function int(issues: Issues, path: Path, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isInt(v)) {
    issues.add(path, 'NUMBER_TYPE_COERCE', `Value "${String(v)}" is not int.`);
    return undefined;
  }
  if (v > max) issues.add(path, 'NUMBER_TYPE_MAX', `int value should be less than or equal to ${max}.`);
  if (v < min) issues.add(path, 'NUMBER_TYPE_MIN', `int value should be greater than or equal to ${min}.`);
  return v;
}

function bool(issues: Issues, path: Path, v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') {
    issues.add(path, 'BASE_TYPE_BOOLEAN', 'Must be either true or false.');
    return undefined;
  }
  return v;
}

function url(
  issues: Issues,
  path: Path,
  v: unknown,
  opts: { required?: boolean; max?: number; schemes: readonly string[] },
): void {
  const s = str(issues, path, v, { max: opts.max ?? LIMITS.url, required: opts.required });
  if (s === undefined) return;
  let parsed: URL;
  try {
    parsed = new URL(s);
  } catch {
    issues.add(path, 'URL_TYPE_INVALID_URL', 'Not a well formed URL.');
    return;
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (!opts.schemes.includes(scheme)) {
    issues.add(
      path,
      'URL_TYPE_INVALID_SCHEME',
      `Scheme "${scheme}" is not supported. Scheme must be one of (${opts.schemes.map((x) => `'${x}'`).join(', ')}).`,
    );
  }
}

function list(issues: Issues, path: Path, v: unknown, max: number, min = 0): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    issues.add(path, 'LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType');
    return undefined;
  }
  if (v.length > max || v.length < min) {
    if (min > 0) issues.add(path, 'BASE_TYPE_BAD_LENGTH', `Must be between ${min} and ${max} in length.`);
    else issues.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
  }
  return v;
}

function obj(issues: Issues, path: Path, v: unknown, required = false): Record<string, unknown> | undefined {
  if (v === undefined || v === null) {
    if (required) issues.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
    return undefined;
  }
  if (!isRecord(v)) {
    issues.add(path, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
    return undefined;
  }
  return v;
}

const HTTP = ['http', 'https'] as const;
const MEDIA = ['http', 'https', 'attachment'] as const;

function charCount(v: unknown): number {
  return typeof v === 'string' ? [...v].length : 0;
}

export function validateEmbeds(issues: Issues, path: Path, v: unknown): JsonObject[] | undefined {
  const arr = list(issues, path, v, LIMITS.embeds);
  if (!arr) return v === null ? [] : undefined;
  let total = 0;
  const out: JsonObject[] = [];
  arr.forEach((raw, i) => {
    const p = [...path, i];
    const e = obj(issues, p, raw, true);
    if (!e) return;
    str(issues, [...p, 'title'], e.title, { max: LIMITS.embedTitle });
    str(issues, [...p, 'description'], e.description, { max: LIMITS.embedDescription });
    url(issues, [...p, 'url'], e.url, { schemes: HTTP });
    if (e.timestamp !== undefined && e.timestamp !== null) {
      if (typeof e.timestamp !== 'string' || Number.isNaN(Date.parse(e.timestamp))) {
        issues.add(
          [...p, 'timestamp'],
          'DATE_TIME_TYPE_PARSE',
          `Could not parse ${String(e.timestamp)}. Should be ISO8601.`,
        );
      }
    }
    int(issues, [...p, 'color'], e.color, 0, 0xffffff);
    const footer = obj(issues, [...p, 'footer'], e.footer);
    if (footer) {
      str(issues, [...p, 'footer', 'text'], footer.text, { max: LIMITS.footerText, required: true, notBlank: true });
      url(issues, [...p, 'footer', 'icon_url'], footer.icon_url, { schemes: MEDIA });
      total += charCount(footer.text);
    }
    for (const key of ['image', 'thumbnail'] as const) {
      const media = obj(issues, [...p, key], e[key]);
      if (media) url(issues, [...p, key, 'url'], media.url, { schemes: MEDIA, required: true });
    }
    const author = obj(issues, [...p, 'author'], e.author);
    if (author) {
      str(issues, [...p, 'author', 'name'], author.name, { max: LIMITS.authorName, required: true, notBlank: true });
      url(issues, [...p, 'author', 'url'], author.url, { schemes: HTTP });
      url(issues, [...p, 'author', 'icon_url'], author.icon_url, { schemes: MEDIA });
      total += charCount(author.name);
    }
    const fields = list(issues, [...p, 'fields'], e.fields, LIMITS.embedFields);
    fields?.forEach((rawField, j) => {
      const fp = [...p, 'fields', j];
      const f = obj(issues, fp, rawField, true);
      if (!f) return;
      str(issues, [...fp, 'name'], f.name, { max: LIMITS.fieldName, required: true, notBlank: true });
      str(issues, [...fp, 'value'], f.value, { max: LIMITS.fieldValue, required: true, notBlank: true });
      bool(issues, [...fp, 'inline'], f.inline);
      total += charCount(f.name) + charCount(f.value);
    });
    total += charCount(e.title) + charCount(e.description);
    const stored = toJsonObject(e);
    stored.type ??= 'rich';
    out.push(stored);
  });
  if (total > LIMITS.embedTotal) {
    issues.add(path, 'MAX_EMBED_SIZE_EXCEEDED', `Embed size exceeds maximum size of ${LIMITS.embedTotal}`);
  }
  return out;
}

interface ComponentCtx {
  customIds: Set<string>;
  total: number;
  text: number;
  nextId: number;
}

const SELECT_TYPES = [3, 5, 6, 7, 8];

function validateButton(issues: Issues, p: Path, c: Record<string, unknown>, ctx: ComponentCtx): void {
  const style = c.style;
  if (!isInt(style) || style < 1 || style > 6) {
    issues.add([...p, 'style'], 'BASE_TYPE_CHOICES', 'Value must be one of {1, 2, 3, 4, 5, 6}.');
    return;
  }
  str(issues, [...p, 'label'], c.label, { max: LIMITS.buttonLabel });
  bool(issues, [...p, 'disabled'], c.disabled);
  if (style === 5) {
    url(issues, [...p, 'url'], c.url, { required: true, max: LIMITS.buttonUrl, schemes: ['http', 'https', 'discord'] });
    if (c.custom_id !== undefined && c.custom_id !== null) {
      issues.add([...p, 'custom_id'], 'BUTTON_COMPONENT_LINK_CUSTOM_ID', 'A link button cannot have a custom_id.');
    }
  } else if (style === 6) {
    if (!isSnowflake(c.sku_id)) issues.add([...p, 'sku_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
    for (const k of ['custom_id', 'url', 'label', 'emoji'] as const) {
      if (c[k] !== undefined && c[k] !== null) {
        issues.add([...p, k], 'BUTTON_COMPONENT_PREMIUM_FIELD', `A premium button cannot have a ${k}.`);
      }
    }
  } else {
    if (c.url !== undefined && c.url !== null) {
      issues.add([...p, 'url'], 'BUTTON_COMPONENT_NON_LINK_URL', 'Only link buttons can have a url.');
    }
    const id = str(issues, [...p, 'custom_id'], c.custom_id, { max: LIMITS.customId, min: 1, required: true });
    if (id !== undefined) {
      if (ctx.customIds.has(id)) {
        issues.add([...p, 'custom_id'], 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
      }
      ctx.customIds.add(id);
    }
  }
  if (style !== 6 && (c.label === undefined || c.label === null || c.label === '') && !isRecord(c.emoji)) {
    issues.add([...p, 'label'], 'BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED', 'A button must have a label or an emoji.');
  }
}

function validateSelect(issues: Issues, p: Path, c: Record<string, unknown>, type: number, ctx: ComponentCtx): void {
  const id = str(issues, [...p, 'custom_id'], c.custom_id, { max: LIMITS.customId, min: 1, required: true });
  if (id !== undefined) {
    if (ctx.customIds.has(id)) {
      issues.add([...p, 'custom_id'], 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
    }
    ctx.customIds.add(id);
  }
  str(issues, [...p, 'placeholder'], c.placeholder, { max: LIMITS.selectPlaceholder });
  const minV = int(issues, [...p, 'min_values'], c.min_values, 0, 25);
  const maxV = int(issues, [...p, 'max_values'], c.max_values, 1, 25);
  if (minV !== undefined && maxV !== undefined && minV > maxV) {
    issues.add([...p, 'min_values'], 'SELECT_COMPONENT_MIN_GREATER_THAN_MAX', 'min_values must be <= max_values.');
  }
  if (type === 3) {
    const options = list(issues, [...p, 'options'], c.options, LIMITS.selectOptions, 1);
    if (c.options === undefined || c.options === null) {
      issues.add([...p, 'options'], 'BASE_TYPE_REQUIRED', 'This field is required');
    }
    const values = new Set<string>();
    options?.forEach((raw, k) => {
      const op = [...p, 'options', k];
      const o = obj(issues, op, raw, true);
      if (!o) return;
      str(issues, [...op, 'label'], o.label, { max: 100, min: 1, required: true });
      const value = str(issues, [...op, 'value'], o.value, { max: 100, min: 1, required: true });
      str(issues, [...op, 'description'], o.description, { max: 100 });
      if (value !== undefined) {
        if (values.has(value))
          issues.add([...op, 'value'], 'SELECT_COMPONENT_OPTION_VALUE_DUPLICATED', 'Option values must be unique.');
        values.add(value);
      }
    });
    if (options && maxV !== undefined && maxV > options.length) {
      issues.add(
        [...p, 'max_values'],
        'SELECT_COMPONENT_MAX_VALUES_TOO_HIGH',
        'max_values must be <= number of options.',
      );
    }
  }
}

function validateActionRow(issues: Issues, p: Path, row: Record<string, unknown>, ctx: ComponentCtx): void {
  const children = list(issues, [...p, 'components'], row.components, LIMITS.rowComponents, 1);
  if (row.components === undefined || row.components === null) {
    issues.add([...p, 'components'], 'BASE_TYPE_REQUIRED', 'This field is required');
  }
  if (!children) return;
  const hasSelect = children.some((ch) => isRecord(ch) && isInt(ch.type) && SELECT_TYPES.includes(ch.type));
  children.forEach((raw, j) => {
    const cp = [...p, 'components', j];
    const c = obj(issues, cp, raw, true);
    if (!c) return;
    ctx.total++;
    if (c.type === 2) {
      if (hasSelect)
        issues.add(cp, 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'The specified component exceeds the maximum width');
      validateButton(issues, cp, c, ctx);
    } else if (isInt(c.type) && SELECT_TYPES.includes(c.type)) {
      if (children.length > 1)
        issues.add(cp, 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'The specified component exceeds the maximum width');
      validateSelect(issues, cp, c, c.type, ctx);
    } else {
      issues.add([...cp, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).');
    }
  });
}

/** Components V2 (flag 1<<15): light structural validation plus the button/select rules above. */
function validateV2Component(
  issues: Issues,
  p: Path,
  c: Record<string, unknown>,
  ctx: ComponentCtx,
  depth: number,
): void {
  ctx.total++;
  switch (c.type) {
    case 1:
      validateActionRow(issues, p, c, ctx);
      return;
    case 9: {
      const children = list(issues, [...p, 'components'], c.components, 3, 1) ?? [];
      children.forEach((ch, j) => {
        const cp = [...p, 'components', j];
        const child = obj(issues, cp, ch, true);
        if (!child) return;
        if (child.type !== 10)
          issues.add([...cp, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (10,).');
        else validateV2Component(issues, cp, child, ctx, depth + 1);
      });
      const acc = obj(issues, [...p, 'accessory'], c.accessory, true);
      if (acc) {
        ctx.total++;
        if (acc.type === 2) validateButton(issues, [...p, 'accessory'], acc, ctx);
        else if (acc.type !== 11)
          issues.add(
            [...p, 'accessory', 'type'],
            'UNION_TYPE_CHOICES',
            'Value of field "type" must be one of (2, 11).',
          );
      }
      return;
    }
    case 10: {
      const content = str(issues, [...p, 'content'], c.content, { max: LIMITS.v2TextTotal, min: 1, required: true });
      ctx.text += content ? [...content].length : 0;
      return;
    }
    case 11:
    case 12:
    case 13:
    case 14:
      return;
    case 17: {
      if (depth > 0) {
        issues.add([...p, 'type'], 'UNION_TYPE_CHOICES', 'Containers cannot be nested.');
        return;
      }
      int(issues, [...p, 'accent_color'], c.accent_color, 0, 0xffffff);
      const children = list(issues, [...p, 'components'], c.components, LIMITS.v2TotalComponents, 1) ?? [];
      children.forEach((ch, j) => {
        const cp = [...p, 'components', j];
        const child = obj(issues, cp, ch, true);
        if (child) validateV2Component(issues, cp, child, ctx, depth + 1);
      });
      return;
    }
    default:
      issues.add(
        [...p, 'type'],
        'UNION_TYPE_CHOICES',
        'Value of field "type" must be one of (1, 9, 10, 11, 12, 13, 14, 17).',
      );
  }
}

/** Adds Discord's numeric component `id`s (depth-first, starting at 1) where missing. */
function assignIds(components: JsonObject[]): void {
  let next = 1;
  const used = new Set<number>();
  const walkCollect = (c: JsonObject): void => {
    if (typeof c.id === 'number') used.add(c.id);
    for (const key of ['components', 'accessory'] as const) {
      const v = c[key];
      if (Array.isArray(v)) for (const x of v) if (isRecord(x)) walkCollect(x as JsonObject);
      if (isRecord(v)) walkCollect(v as JsonObject);
    }
  };
  const walkAssign = (c: JsonObject): void => {
    if (typeof c.id !== 'number') {
      while (used.has(next)) next++;
      c.id = next;
      used.add(next);
    }
    for (const key of ['components', 'accessory'] as const) {
      const v = c[key];
      if (Array.isArray(v)) for (const x of v) if (isRecord(x)) walkAssign(x as JsonObject);
      if (isRecord(v)) walkAssign(v as JsonObject);
    }
  };
  components.forEach(walkCollect);
  components.forEach(walkAssign);
}

export function validateComponents(issues: Issues, path: Path, v: unknown, v2: boolean): JsonObject[] | undefined {
  if (v === null) return [];
  const ctx: ComponentCtx = { customIds: new Set(), total: 0, text: 0, nextId: 1 };
  const arr = list(issues, path, v, v2 ? LIMITS.v2TotalComponents : LIMITS.actionRows);
  if (!arr) return undefined;
  arr.forEach((raw, i) => {
    const p = [...path, i];
    const c = obj(issues, p, raw, true);
    if (!c) return;
    if (v2) {
      validateV2Component(issues, p, c, ctx, 0);
    } else if (c.type !== 1) {
      issues.add([...p, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (1,).');
    } else {
      validateActionRow(issues, p, c, ctx);
    }
  });
  if (v2 && ctx.total > LIMITS.v2TotalComponents) {
    issues.add(
      path,
      'COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED',
      `Components must not exceed ${LIMITS.v2TotalComponents} in total.`,
    );
  }
  if (v2 && ctx.text > LIMITS.v2TextTotal) {
    issues.add(
      path,
      'COMPONENT_MAX_TEXT_LENGTH_EXCEEDED',
      `Text display content must not exceed ${LIMITS.v2TextTotal} characters in total.`,
    );
  }
  const out = arr.filter(isRecord).map((c) => toJsonObject(c));
  assignIds(out);
  return out;
}

/** Collects every component (depth-first) of a stored message. */
export function walkComponents(components: readonly JsonObject[], visit: (c: JsonObject) => void): void {
  const walk = (c: JsonObject): void => {
    visit(c);
    for (const key of ['components', 'accessory'] as const) {
      const v = c[key];
      if (Array.isArray(v)) for (const x of v) if (isRecord(x)) walk(x as JsonObject);
      if (isRecord(v)) walk(v as JsonObject);
    }
  };
  components.forEach(walk);
}

/**
 * Validates a message body. `existingFlags` is the message's current flags for edits (components V2 is sticky).
 * Problems are added to `issues`; the caller throws with the proper prefix (`data` for interaction callbacks).
 */
export function parseMessageBody(
  issues: Issues,
  body: unknown,
  mode: 'create' | 'edit',
  existingFlags = 0,
): MessageInput {
  const out: MessageInput = { hasPoll: false, hasStickers: false };
  if (!isRecord(body)) {
    issues.add([], 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
    return out;
  }
  if ('flags' in body && body.flags !== undefined && body.flags !== null) {
    const f = int(issues, ['flags'], body.flags, 0, 2 ** 31 - 1);
    if (f !== undefined) out.flags = f;
  }
  const v2 = ((out.flags ?? 0) | existingFlags) & MessageFlag.IsComponentsV2;
  if ('content' in body && body.content !== undefined) {
    out.content = str(issues, ['content'], body.content, { max: LIMITS.content }) ?? '';
    if (v2 && out.content !== '') {
      issues.add(
        ['content'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      );
    }
  }
  if ('embeds' in body && body.embeds !== undefined) {
    const embeds = validateEmbeds(issues, ['embeds'], body.embeds);
    if (embeds) out.embeds = embeds;
    if (v2 && embeds && embeds.length > 0) {
      issues.add(
        ['embeds'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'embeds' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      );
    }
  }
  if ('components' in body && body.components !== undefined) {
    const components = validateComponents(issues, ['components'], body.components, v2 !== 0);
    if (components) out.components = components;
  }
  if ('attachments' in body && body.attachments !== undefined && body.attachments !== null) {
    const arr = list(issues, ['attachments'], body.attachments, 10);
    const refs: AttachmentRef[] = [];
    arr?.forEach((raw, i) => {
      const a = obj(issues, ['attachments', i], raw, true);
      if (!a) return;
      const id = a.id;
      // Discord's OpenAPI description types the id as a string (a snowflake, or a new file's index).
      if (typeof id !== 'string') {
        issues.add(['attachments', i, 'id'], 'BASE_TYPE_REQUIRED', 'This field is required');
        return;
      }
      const ref: AttachmentRef = { id };
      const filename = str(issues, ['attachments', i, 'filename'], a.filename, { max: 1024 });
      if (filename !== undefined) ref.filename = filename;
      const description = str(issues, ['attachments', i, 'description'], a.description, {
        max: LIMITS.attachmentDescription,
      });
      if (description !== undefined) ref.description = description;
      refs.push(ref);
    });
    out.attachments = refs;
  } else if (body.attachments === null) {
    out.attachments = [];
  }
  const am = obj(issues, ['allowed_mentions'], body.allowed_mentions);
  if (am) {
    const parse = list(issues, ['allowed_mentions', 'parse'], am.parse, 3);
    parse?.forEach((x, i) => {
      if (x !== 'roles' && x !== 'users' && x !== 'everyone') {
        issues.add(
          ['allowed_mentions', 'parse', i],
          'BASE_TYPE_CHOICES',
          "Value must be one of {'roles', 'users', 'everyone'}.",
        );
      }
    });
    for (const key of ['users', 'roles'] as const) {
      const ids = list(issues, ['allowed_mentions', key], am[key], 100);
      if (ids && ids.length > 0 && parse?.includes(key)) {
        issues.add(
          ['allowed_mentions'],
          'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
          `parse:["${key}"] and ${key}: [ids...] are mutually exclusive.`,
        );
      }
    }
    bool(issues, ['allowed_mentions', 'replied_user'], am.replied_user);
  }
  const tts = bool(issues, ['tts'], body.tts);
  if (tts !== undefined) out.tts = tts;
  if (body.nonce !== undefined && body.nonce !== null) {
    if (typeof body.nonce === 'string') {
      str(issues, ['nonce'], body.nonce, { max: LIMITS.nonce });
      out.nonce = body.nonce;
    } else if (isInt(body.nonce)) {
      out.nonce = body.nonce;
    } else {
      issues.add(['nonce'], 'BASE_TYPE_STRING', 'Must be a string or an integer.');
    }
  }
  const enforce = bool(issues, ['enforce_nonce'], body.enforce_nonce);
  if (enforce !== undefined) out.enforceNonce = enforce;
  if (mode === 'create') {
    const ref = obj(issues, ['message_reference'], body.message_reference);
    if (ref) {
      const type = ref.type === undefined || ref.type === null ? 0 : ref.type;
      if (type !== 0 && type !== 1)
        issues.add(['message_reference', 'type'], 'BASE_TYPE_CHOICES', 'Value must be one of {0, 1}.');
      const mr: MessageReferenceInput = {
        fail_if_not_exists: bool(issues, ['message_reference', 'fail_if_not_exists'], ref.fail_if_not_exists) ?? true,
        type: isInt(type) ? type : 0,
      };
      for (const k of ['message_id', 'channel_id', 'guild_id'] as const) {
        const v = ref[k];
        if (v === undefined || v === null) continue;
        if (!isSnowflake(v))
          issues.add(['message_reference', k], 'NUMBER_TYPE_COERCE', `Value "${String(v)}" is not snowflake.`);
        else mr[k] = v;
      }
      if (mr.message_id === undefined)
        issues.add(['message_reference', 'message_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
      out.messageReference = mr;
    }
    out.hasPoll = isRecord(body.poll);
    const stickers = list(issues, ['sticker_ids'], body.sticker_ids, 3);
    out.hasStickers = (stickers?.length ?? 0) > 0;
  }
  return out;
}
