import { z } from 'zod';
import { GENERIC_LENGTHS, NEW_MULTI_SHOT, NEW_STANDARD_ABSENT, NEW_VIDEO, type NewVideoKind } from './documented.js';
import { omniInputsRefusal, shotLengths } from './new-omni-rules.js';
import type { VideoLookup } from './omni-rules.js';
import { callbackSchema, imageRefSchema, type Refusal } from './legacy-rules.js';

/**
 * What the new standard (model in the path, `contents[]`/`settings{}`/`options{}`) refuses, from
 * the simulator's own copy of Kling's docs (documented.ts).
 */

const invalid = (field: string, why: string): Refusal => ({
  status: 400,
  code: 1201,
  message: `Invalid value for field ${field}: ${why}`,
});

const Content = z.object({
  type: z.enum([
    'prompt',
    'first_frame',
    'last_frame',
    'refer_image',
    'feature_video',
    'base_video',
    'element',
    'voice',
  ]),
  text: z.string().max(3072).optional(),
  url: z.string().optional(),
  /** How the prompt names this input (`@image_1`). */
  id: z.string().min(1).max(64).optional(),
});

const Body = z.object({
  prompt: z.string().min(1).max(3072).optional(),
  contents: z.array(Content).optional(),
  settings: z
    .object({
      resolution: z.string().optional(),
      aspect_ratio: z.string().optional(),
      duration: z.number().int().optional(),
      audio: z.string().optional(),
      multi_shot: z.boolean().optional(),
    })
    .strict()
    .optional(),
  options: z
    .object({
      callback_url: callbackSchema.optional(),
      external_task_id: z.string().min(1).optional(),
      watermark_info: z.object({ enabled: z.boolean() }).optional(),
    })
    .strict()
    .optional(),
});
export type NewBody = z.infer<typeof Body>;

/** The create's body, checked; or the refusal Kling would give. */
export function newRefusal(
  kind: NewVideoKind,
  model: string,
  raw: Record<string, unknown>,
  extraModels: readonly string[],
  video: VideoLookup = () => undefined,
): { refusal: Refusal } | { body: NewBody; prompt: string; seconds: number; resolution: string; audio: boolean } {
  const facts = NEW_VIDEO[model];
  if (!extraModels.includes(model) && (!facts || !facts.kinds.includes(kind)))
    return { refusal: { status: 404, code: 1203, message: `model not found: ${model} (no such model for ${kind})` } };
  for (const field of NEW_STANDARD_ABSENT)
    if (raw[field] !== undefined) return { refusal: invalid(field, 'not a field of this API') };
  const parsed = Body.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { refusal: invalid(issue?.path.join('.') || 'body', issue?.message ?? 'invalid') };
  }
  const body = parsed.data;
  const s = body.settings ?? {};
  const contents = body.contents ?? [];
  const text = body.prompt ?? contents.find((c) => c.type === 'prompt')?.text ?? '';
  if (kind === 'text-to-video' && !body.prompt) return { refusal: invalid('prompt', 'required') };
  if (kind === 'image-to-video') {
    const first = contents.find((c) => c.type === 'first_frame');
    if (!first?.url) return { refusal: invalid('contents', 'a first_frame is required') };
    for (const c of contents)
      if (c.url !== undefined && !imageRefSchema.safeParse(c.url).success)
        return { refusal: invalid('contents.url', 'must be an http(s) URL or raw base64') };
    if (s.aspect_ratio !== undefined) return { refusal: invalid('settings.aspect_ratio', 'the image sets it') };
  }
  let edited: number | undefined;
  if (kind === 'omni-video') {
    const inputs = omniInputsRefusal(model, contents, s, video);
    if ('refusal' in inputs) return inputs;
    edited = inputs.seconds;
  }
  const seconds = edited ?? s.duration ?? 5;
  const resolution = s.resolution ?? '720p';
  if (s.multi_shot === true) {
    if (!extraModels.includes(model) && !NEW_MULTI_SHOT.includes(model))
      return { refusal: invalid('settings.multi_shot', `${model} makes no multi-shot videos`) };
    const shots = shotLengths(text);
    if ('why' in shots) return { refusal: invalid('prompt', `multi-shot: ${shots.why}`) };
    const sum = shots.seconds.reduce((a, b) => a + b, 0);
    if (sum !== seconds) return { refusal: invalid('prompt', `the shots last ${sum} s, the duration is ${seconds} s`) };
  }
  const lengths = facts?.lengths ?? GENERIC_LENGTHS;
  if (edited === undefined && !lengths.seconds.includes(seconds))
    return { refusal: invalid('settings.duration', `${model} makes ${lengths.seconds.join(', ')} s videos`) };
  if (!facts) return { body, prompt: text, seconds, resolution, audio: s.audio === 'native' };
  if (!facts.resolutions.includes(resolution))
    return { refusal: invalid('settings.resolution', `${model} makes ${facts.resolutions.join(', ')}`) };
  if (s.aspect_ratio !== undefined && !facts.aspects.includes(s.aspect_ratio))
    return { refusal: invalid('settings.aspect_ratio', `${model} takes ${facts.aspects.join(', ')}`) };
  if (s.audio !== undefined) {
    if (!facts.audio.includes(s.audio)) return { refusal: invalid('settings.audio', `${model} takes no ${s.audio}`) };
    if (s.audio === 'native' && !facts.audioAt.includes(resolution))
      return { refusal: invalid('settings.audio', `${model} makes sound at ${facts.audioAt.join(', ')} only`) };
  }
  if (contents.some((c) => c.type === 'last_frame') && !(facts.lastFrame && facts.lastFrameAt.includes(resolution)))
    return { refusal: invalid('contents', `${model} takes no last_frame at ${resolution}`) };
  return { body, prompt: text, seconds, resolution, audio: s.audio === 'native' };
}

/** The simulator's own price list: units per second by resolution and audio. */
export function newUnits(model: string, resolution: string, audio: boolean, seconds: number): number {
  const rate = NEW_VIDEO[model]?.unitsPerSecond[resolution]?.[audio ? 1 : 0] ?? 1;
  return Math.round(rate * seconds * 100) / 100;
}
