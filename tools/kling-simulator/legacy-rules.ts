import { z } from 'zod';
import {
  GENERIC_LENGTHS,
  LEGACY_IMAGE_ASPECTS,
  LEGACY_IMAGE_MODELS,
  LEGACY_VIDEO,
  LEGACY_VIDEO_ASPECTS,
  NEW_VIDEO,
} from './documented.js';

/**
 * What the legacy standard (`/v1/…`, `model_name` in the body) refuses, field by field and then
 * per model, from the simulator's own copy of Kling's docs (documented.ts).
 */

export type SimTaskKind = 'text2video' | 'image2video' | 'images' | 'video-extend' | 'omni-video';
/** The kinds checked field by field here (omni-video has its own rules: omni-rules.ts). */
type FieldKind = Exclude<SimTaskKind, 'omni-video'>;

/** A refusal as Kling answers it: HTTP status, Kling code, message. */
export interface Refusal {
  status: number;
  code: number;
  message: string;
}

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

export function isHttpUrl(v: string): boolean {
  if (!/^https?:\/\//i.test(v)) return false;
  try {
    new URL(v);
    return true;
  } catch {
    return false;
  }
}

const promptRequired = z.string().min(1).max(2500);
const promptOptional = z.string().max(2500);
const modeSchema = z.enum(['std', 'pro']);
const durationSchema = z.string().regex(/^\d{1,2}$/, 'must be a whole number of seconds as a string');
const aspectSchema = z.string().regex(/^\d{1,3}:\d{1,3}$/, 'must be a ratio such as 16:9');
const cfgScaleSchema = z.number().min(0).max(1);
const soundSchema = z.enum(['on', 'off']);
export const callbackSchema = z.string().refine(isHttpUrl, 'must be an http(s) URL');
const externalIdSchema = z.string().min(1);
export const imageRefSchema = z
  .string()
  .min(1)
  .refine((v) => !v.startsWith('data:'), 'base64 image must not carry a data: prefix')
  .refine((v) => isHttpUrl(v) || BASE64_RE.test(v), 'must be an http(s) URL or raw base64');
const nSchema = z.number().int().min(1).max(9);
const resolutionSchema = z.enum(['1k', '2k']);

type FieldRule = readonly [field: string, schema: z.ZodType, required: boolean];

const FIELD_RULES: Record<FieldKind, readonly FieldRule[]> = {
  text2video: [
    ['prompt', promptRequired, true],
    ['negative_prompt', promptOptional, false],
    ['mode', modeSchema, false],
    ['duration', durationSchema, false],
    ['aspect_ratio', aspectSchema, false],
    ['cfg_scale', cfgScaleSchema, false],
    ['sound', soundSchema, false],
    ['callback_url', callbackSchema, false],
    ['external_task_id', externalIdSchema, false],
  ],
  image2video: [
    ['image', imageRefSchema, true],
    ['image_tail', imageRefSchema, false],
    ['prompt', promptOptional, false],
    ['negative_prompt', promptOptional, false],
    ['mode', modeSchema, false],
    ['duration', durationSchema, false],
    ['cfg_scale', cfgScaleSchema, false],
    ['sound', soundSchema, false],
    ['callback_url', callbackSchema, false],
    ['external_task_id', externalIdSchema, false],
  ],
  'video-extend': [
    ['video_id', z.string().min(1), true],
    ['prompt', promptOptional, false],
    ['negative_prompt', promptOptional, false],
    ['cfg_scale', cfgScaleSchema, false],
    ['callback_url', callbackSchema, false],
    ['external_task_id', externalIdSchema, false],
  ],
  images: [
    ['prompt', promptRequired, true],
    ['negative_prompt', promptOptional, false],
    ['image', imageRefSchema, false],
    ['n', nSchema, false],
    ['aspect_ratio', aspectSchema, false],
    ['resolution', resolutionSchema, false],
    ['callback_url', callbackSchema, false],
    ['external_task_id', externalIdSchema, false],
  ],
};

const invalid = (field: string, why: string): Refusal => ({
  status: 400,
  code: 1201,
  message: `Invalid value for field ${field}: ${why}`,
});

/** The first field that breaks its own rule. */
export function fieldRefusal(kind: FieldKind, body: Record<string, unknown>): Refusal | undefined {
  for (const [field, schema, required] of FIELD_RULES[kind]) {
    const value = body[field];
    if (value === undefined) {
      if (required) return invalid(field, 'required');
      continue;
    }
    const r = schema.safeParse(value);
    if (!r.success) return invalid(field, r.error.issues[0]?.message ?? 'invalid');
  }
  if (kind === 'image2video' && body['aspect_ratio'] !== undefined)
    return invalid('aspect_ratio', 'not supported by image2video');
  return undefined;
}

const text = (body: Record<string, unknown>, key: string) =>
  typeof body[key] === 'string' ? (body[key] as string) : undefined;

/**
 * A legacy create's model and options against the documented models. `extraModels`: ones a test
 * says Kling has beyond the copy (a model newer than the bot), held only to the field rules.
 */
export function legacyRefusal(
  kind: Exclude<FieldKind, 'video-extend'>,
  model: string,
  body: Record<string, unknown>,
  extraModels: readonly string[],
): Refusal | undefined {
  const notFound = (why = ''): Refusal => ({ status: 400, code: 1203, message: `model not found: ${model}${why}` });
  const extra = extraModels.includes(model);
  if (kind === 'images') {
    if (!LEGACY_IMAGE_MODELS.includes(model) && !extra) return notFound();
    const fields = fieldRefusal(kind, body);
    if (fields) return fields;
    const aspect = text(body, 'aspect_ratio');
    if (!extra && aspect !== undefined && !LEGACY_IMAGE_ASPECTS.includes(aspect))
      return invalid('aspect_ratio', `${model} takes ${LEGACY_IMAGE_ASPECTS.join(', ')}`);
    return undefined;
  }
  const facts = LEGACY_VIDEO[model];
  if (!extra && (!facts || !facts.kinds.includes(kind)))
    return notFound(facts ? ` (it does not support ${kind})` : NEW_VIDEO[model] ? ' (a new-standard id)' : '');
  const fields = fieldRefusal(kind, body);
  if (fields || !facts) {
    const seconds = Number(text(body, 'duration') ?? '5');
    if (!fields && !GENERIC_LENGTHS.seconds.includes(seconds)) return invalid('duration', 'out of range');
    return fields;
  }
  const mode = text(body, 'mode');
  if (mode !== undefined && !facts.modes.includes(mode as 'std'))
    return invalid('mode', facts.modes.length ? `${model} takes ${facts.modes.join(' or ')}` : `${model} has no mode`);
  const duration = Number(text(body, 'duration') ?? '5');
  if (!facts.lengths.seconds.includes(duration))
    return invalid('duration', `${model} makes ${facts.lengths.seconds.join(', ')} s videos`);
  const aspect = text(body, 'aspect_ratio');
  if (aspect !== undefined && !LEGACY_VIDEO_ASPECTS.includes(aspect))
    return invalid('aspect_ratio', `${model} takes ${LEGACY_VIDEO_ASPECTS.join(', ')}`);
  if (body['cfg_scale'] !== undefined && !facts.cfgScale) return invalid('cfg_scale', `not supported by ${model}`);
  const inMode = (mode ?? 'std') as 'std';
  if (text(body, 'sound') === 'on' && !facts.soundModes.includes(inMode))
    return invalid('sound', `${model} has no sound in ${inMode} mode`);
  if (body['image_tail'] !== undefined && !facts.tailModes.includes(inMode))
    return invalid('image_tail', `${model} takes no end frame in ${inMode} mode`);
  return undefined;
}

/** video-extend is documented for v1.x videos only. */
export function extendRefusal(sourceModel: string): Refusal | undefined {
  return LEGACY_VIDEO[sourceModel]?.extend
    ? undefined
    : invalid('video_id', `video-extend does not support videos made by ${sourceModel}`);
}
