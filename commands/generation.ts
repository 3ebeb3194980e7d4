import type { GenerationRequest } from '../src/domain.js';
import { ValidationError } from '../src/errors.js';
import type { Attachment } from '../src/invocation.js';
import type { CapabilityKind } from '../src/kling/capabilities.js';
import { rowFor } from '../src/kling/model-table.js';
import { defaultDuration, defaultMode, violationOf, type Ask, type Standard } from '../src/kling/rules.js';
import { resolutionsOn, resolveQuality, type Resolution } from '../src/omni/resolution.js';

/** The models used when a command names none (configuration: KLING_DEFAULT_MODEL / KLING_DEFAULT_IMAGE_MODEL). */
export interface ModelDefaults {
  videoModel: string;
  imageModel: string;
  /** KLING_DEFAULT_OMNI_MODEL: reference images, edits, legacy storyboards. */
  omniModel?: string;
  /** Which Kling API standard would carry a task of this model (the client's routing); absent: legacy. */
  standardFor?: (model: string, kind: CapabilityKind | 'storyboard') => Standard;
}

/** Refuses what the capability table forbids, naming the option, the model and the rule. Nothing is sent to Kling. */
export function checkAsk(ask: Ask): void {
  const violation = violationOf(ask);
  if (violation) throw new ValidationError(violation.field, violation.message);
}

interface VideoArgs {
  prompt?: string | undefined;
  negative_prompt?: string | undefined;
  model?: string | undefined;
  mode?: 'std' | 'pro' | undefined;
  resolution?: Resolution | undefined;
  duration?: string | undefined;
  cfg_scale?: number | undefined;
  sound?: 'on' | 'off' | undefined;
}

/**
 * `--res` as the legacy `mode` it means (720p std, 1080p pro) and, for 4k, the resolution itself
 * (new standard only); a mode and a resolution that disagree are refused naming both.
 */
function qualityOf(kind: CapabilityKind, model: string, standard: Standard, args: VideoArgs) {
  if (args.resolution === undefined) return { mode: args.mode };
  const quality = resolveQuality({
    model,
    mode: args.mode,
    resolution: args.resolution,
    resolutions: resolutionsOn(rowFor(model, kind), standard),
    standard,
  });
  if (!quality.ok) throw new ValidationError(quality.violation.field, quality.violation.message);
  return { mode: quality.mode ?? 'pro', resolution: quality.resolution };
}

/** The options a video kind shares, defaults resolved for the chosen model. */
function videoCommon(
  kind: CapabilityKind,
  args: VideoArgs,
  defaults: ModelDefaults,
  extra: Pick<Ask, 'endFrame'> = {},
) {
  const model = args.model ?? defaults.videoModel;
  const standard = defaults.standardFor?.(model, kind) ?? 'legacy';
  const { mode, resolution } = qualityOf(kind, model, standard, args);
  checkAsk({
    kind,
    model,
    standard,
    ...(args.negative_prompt ? { negativePrompt: true } : {}),
    ...(mode !== undefined ? { mode } : {}),
    ...(resolution !== undefined ? { resolution } : {}),
    ...(args.duration !== undefined ? { duration: args.duration } : {}),
    ...(args.cfg_scale !== undefined ? { cfgScale: true } : {}),
    ...(args.sound !== undefined ? { sound: args.sound } : {}),
    ...extra,
  });
  return {
    model,
    mode: mode ?? defaultMode(model, kind),
    // Only 4k needs saying: every other resolution is its mode.
    ...(resolution === '4k' ? { resolution } : {}),
    duration: args.duration ?? defaultDuration(model, kind),
    ...(args.negative_prompt ? { negative_prompt: args.negative_prompt } : {}),
    ...(args.cfg_scale !== undefined ? { cfg_scale: args.cfg_scale } : {}),
    // Recorded either way, so the card can say whether the video has sound.
    sound: args.sound ?? ('off' as const),
  };
}

export function textToVideoRequest(
  args: VideoArgs & { prompt: string; aspect_ratio?: string | undefined },
  defaults: ModelDefaults,
): Extract<GenerationRequest, { kind: 'text2video' }> {
  const common = videoCommon('text2video', args, defaults);
  const aspect = args.aspect_ratio ?? '16:9';
  checkAsk({ kind: 'text2video', model: common.model, aspectRatio: aspect });
  return { kind: 'text2video', prompt: args.prompt, ...common, aspect_ratio: aspect };
}

export function imageToVideoRequest(
  args: VideoArgs & { image: string; end_image?: string | undefined },
  defaults: ModelDefaults,
): Extract<GenerationRequest, { kind: 'image2video' }> {
  const common = videoCommon('image2video', args, defaults, args.end_image !== undefined ? { endFrame: true } : {});
  return {
    kind: 'image2video',
    image: args.image,
    ...(args.end_image !== undefined ? { image_tail: args.end_image } : {}),
    ...(args.prompt ? { prompt: args.prompt } : {}),
    ...common,
  };
}

export function imageRequest(
  args: {
    prompt: string;
    negative_prompt?: string | undefined;
    model?: string | undefined;
    aspect_ratio?: string | undefined;
    n?: number | undefined;
  },
  defaults: ModelDefaults,
): Extract<GenerationRequest, { kind: 'image' }> {
  const model = args.model ?? defaults.imageModel;
  const aspect = args.aspect_ratio ?? '1:1';
  const n = args.n ?? 1;
  checkAsk({ kind: 'image', model, aspectRatio: aspect, n });
  return {
    kind: 'image',
    prompt: args.prompt,
    ...(args.negative_prompt ? { negative_prompt: args.negative_prompt } : {}),
    model,
    aspect_ratio: aspect,
    n,
  };
}

// Uploaded images (Discord's attachment options: /animate's frames, /video's references) against Kling's rules.
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const MIN_SIDE = 300;
const MAX_RATIO = 2.5;

/**
 * Kling's image rules (Kling API docs, image-to-video), checked before anything is paid for; `field` names the
 * option in the error.
 */
export function checkAttachment(file: Attachment, field = 'image'): void {
  const type = file.contentType?.split(';')[0]?.trim().toLowerCase();
  const byName = /\.(png|jpe?g)$/i.test(file.filename);
  if (type ? !['image/png', 'image/jpeg', 'image/jpg'].includes(type) : !byName)
    throw new ValidationError(field, `must be a PNG or JPEG image (got ${type ?? file.filename})`);
  if (file.size > MAX_IMAGE_BYTES)
    throw new ValidationError(field, `must be at most 10 MB (this one is ${(file.size / 1048576).toFixed(1)} MB)`);
  if (file.width !== undefined && file.height !== undefined) {
    if (Math.min(file.width, file.height) < MIN_SIDE)
      throw new ValidationError(
        field,
        `must be at least ${MIN_SIDE} px on each side (this one is ${file.width}×${file.height})`,
      );
    const ratio = Math.max(file.width / file.height, file.height / file.width);
    if (ratio > MAX_RATIO)
      throw new ValidationError(
        field,
        `must not be more than 2.5 times as wide as tall or the reverse (this one is ${file.width}×${file.height})`,
      );
  }
}

/** Every uploaded image (the start and end frame, /video's references) gets the same checks. */
export function checkAttachments(attachments: Readonly<Record<string, Attachment>>): void {
  for (const [field, file] of Object.entries(attachments)) checkAttachment(file, field);
}
