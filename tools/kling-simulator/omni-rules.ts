import { z } from 'zod';
import {
  GENERIC_LENGTHS,
  LEGACY_OMNI,
  LEGACY_OMNI_DEFAULT,
  LEGACY_VIDEO_ASPECTS,
  OMNI_IMAGES,
  OMNI_SHOTS,
} from './documented.js';
import { callbackSchema, imageRefSchema, isHttpUrl, type Refusal } from './legacy-rules.js';

/**
 * What the legacy omni-video endpoint refuses, from the simulator's own copy of Kling's rules
 * (documented.ts), never from the bot's table. A refusal is a 400 / 1201 naming the field.
 */

const invalid = (field: string, why: string): Refusal => ({
  status: 400,
  code: 1201,
  message: `Invalid value for field ${field}: ${why}`,
});

const Image = z.object({ image_url: imageRefSchema, type: z.enum(['first_frame', 'end_frame']).optional() }).strict();
const Video = z
  .object({
    video_url: z.string().refine(isHttpUrl, 'must be an http(s) URL Kling can download'),
    refer_type: z.enum(['feature', 'base']).optional(),
    keep_original_sound: z.enum(['yes', 'no']).optional(),
  })
  .strict();
const Shot = z
  .object({
    index: z.number().int().min(1),
    prompt: z.string().min(1).max(OMNI_SHOTS.promptMax),
    duration: z.union([z.string().regex(/^\d{1,2}$/), z.number().int()]),
  })
  .strict();

const Body = z
  .object({
    model_name: z.string().optional(),
    prompt: z.string().max(2500).optional(),
    image_list: z.array(Image).optional(),
    element_list: z.array(z.object({ element_id: z.union([z.string(), z.number()]) })).optional(),
    video_list: z.array(Video).max(1, 'takes at most 1 video').optional(),
    mode: z.enum(['std', 'pro']).optional(),
    aspect_ratio: z.string().optional(),
    duration: z
      .string()
      .regex(/^\d{1,2}$/, 'must be a whole number of seconds as a string')
      .optional(),
    sound: z.enum(['on', 'off']).optional(),
    multi_shot: z.boolean().optional(),
    shot_type: z.enum(['customize', 'intelligence']).optional(),
    multi_prompt: z.array(Shot).optional(),
    watermark_info: z.object({ enabled: z.boolean() }).optional(),
    callback_url: callbackSchema.optional(),
    external_task_id: z.string().min(1).optional(),
  })
  .strict();

/** What a source video is, when it is one of the simulator's own (undefined: any other URL). */
export type VideoLookup = (url: string) => { seconds: number; finished: boolean; ageMs: number } | undefined;

export interface OmniMade {
  model: string;
  mode: string;
  /** The output's length, seconds. */
  seconds: number;
}

/** Refuses what Kling's legacy omni-video would; else the model, mode and length of the result. */
export function omniRefusal(
  raw: Record<string, unknown>,
  extraModels: readonly string[],
  video: VideoLookup,
): { refusal: Refusal } | { made: OmniMade } {
  const parsed = Body.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { refusal: invalid(issue?.path.join('.') || 'body', issue?.message ?? 'invalid') };
  }
  const body = parsed.data;
  const model = body.model_name ?? LEGACY_OMNI_DEFAULT;
  const facts = LEGACY_OMNI[model];
  if (!facts && !extraModels.includes(model))
    return { refusal: { status: 400, code: 1203, message: `model not found: ${model} (omni-video)` } };
  const no = (field: string, why: string) => ({ refusal: invalid(field, why) });
  const images = body.image_list ?? [];
  const [source] = body.video_list ?? [];
  const base = source?.refer_type === 'base';
  const max = source ? OMNI_IMAGES.withVideo : OMNI_IMAGES.withoutVideo;
  if (images.length + (body.element_list?.length ?? 0) > max)
    return no('image_list', `at most ${max} images and elements ${source ? 'with' : 'without'} a video`);
  // Inputs are named <<<image_n>>> / <<<video_1>>>, 1-based in list order.
  const prompt = body.prompt ?? '';
  for (const m of prompt.matchAll(/<<<(image|video)_(\d+)>>>/g)) {
    const n = Number(m[2]);
    const count = m[1] === 'image' ? images.length : source ? 1 : 0;
    if (n < 1 || n > count) return no('prompt', `names <<<${m[1]}_${n}>>>, but only ${count} ${m[1]}(s) were given`);
  }
  const firstFrame = images.some((i) => i.type === 'first_frame');
  if (!firstFrame && !base && body.aspect_ratio === undefined)
    return no('aspect_ratio', 'required without a first frame or a base video');
  if (body.aspect_ratio !== undefined && !LEGACY_VIDEO_ASPECTS.includes(body.aspect_ratio))
    return no('aspect_ratio', `takes ${LEGACY_VIDEO_ASPECTS.join(', ')}`);
  if (body.sound !== undefined && facts && !facts.sound) return no('sound', `not supported by ${model}`);
  if (base && body.sound === 'on') return no('sound', 'an edited video keeps its own sound (keep_original_sound)');
  let seconds: number;
  if (source) {
    const known = video(source.video_url);
    if (known && (!known.finished || known.ageMs > 30 * 86_400_000))
      return no('video_list.0.video_url', 'the video could not be downloaded');
    const limits = facts?.videoSeconds ?? { min: 0, max: Infinity };
    if (known && (known.seconds < limits.min || known.seconds > limits.max))
      return no('video_list.0.video_url', `${model} takes videos of ${limits.min} to ${limits.max} s`);
    seconds = base ? Math.ceil(known?.seconds ?? 5) : Number(body.duration ?? '5');
  } else seconds = Number(body.duration ?? '5');
  if (body.multi_shot) {
    if (facts && !facts.multiShot) return no('multi_shot', `not supported by ${model}`);
    if (base) return no('multi_shot', 'not with a base video');
    if (body.shot_type === undefined) return no('shot_type', 'required with multi_shot');
    if (body.shot_type === 'customize') {
      const shots = body.multi_prompt ?? [];
      if (shots.length < 1 || shots.length > OMNI_SHOTS.max)
        return no('multi_prompt', `1 to ${OMNI_SHOTS.max} shots with shot_type customize`);
      if (shots.some((s, i) => s.index !== i + 1)) return no('multi_prompt', 'index must count 1, 2, … in order');
      const lengths = shots.map((s) => Number(s.duration));
      if (lengths.some((d) => d < 1)) return no('multi_prompt', 'each shot lasts at least 1 s');
      const sum = lengths.reduce((a, b) => a + b, 0);
      if (sum !== seconds) return no('multi_prompt', `the shots last ${sum} s, the duration is ${seconds} s`);
    }
  } else {
    if (body.multi_prompt !== undefined) return no('multi_prompt', 'only with multi_shot');
    if (prompt.trim() === '') return no('prompt', 'required');
  }
  const lengths = facts?.lengths.seconds ?? GENERIC_LENGTHS.seconds;
  if (!base && !lengths.includes(seconds)) return no('duration', `${model} makes ${lengths.join(', ')} s videos`);
  return { made: { model, mode: body.mode ?? 'std', seconds } };
}
