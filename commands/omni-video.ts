import type { OmniRequest } from '../src/omni/request.js';
import { ValidationError } from '../src/errors.js';
import { knownElsewhere, rowFor } from '../src/kling/model-table.js';
import { defaultDuration } from '../src/kling/rules.js';
import { linksExpireAt } from '../src/omni/image-links.js';
import { MAX_REFERENCE_IMAGES, namedImages, referenceViolation } from '../src/omni/references.js';
import { resolutionsOn, resolveQuality, type Resolution } from '../src/omni/resolution.js';
import type { Violation } from '../src/omni/violation.js';
import { checkAsk, type ModelDefaults } from './generation.js';

/**
 * `/video` with reference images: an omni-video task on KLING_DEFAULT_OMNI_MODEL (or the model
 * named), the prompt naming the images `@image_1`… (docs/sources.md, "Omni").
 */

/** /video's image options, image_1 first; `--image URL` fills them in order on Slack and in a prompt. */
export const IMAGE_OPTIONS = ['image_1', 'image_2', 'image_3', 'image_4'] as const;

type ImageArgs = Partial<Record<(typeof IMAGE_OPTIONS)[number], string | undefined>>;

export interface OmniVideoArgs extends ImageArgs {
  prompt: string;
  negative_prompt?: string | undefined;
  model?: string | undefined;
  mode?: 'std' | 'pro' | undefined;
  resolution?: Resolution | undefined;
  duration?: string | undefined;
  aspect_ratio?: string | undefined;
  sound?: 'on' | 'off' | undefined;
  cfg_scale?: number | undefined;
}

function refuse(v: Violation): never {
  throw new ValidationError(v.field, v.message);
}

/** The images given, in order; a gap (image_2 without image_1) would shift every `@image_n` after it. */
export function imagesOf(args: ImageArgs): string[] {
  const images: string[] = [];
  for (const [i, name] of IMAGE_OPTIONS.entries()) {
    const image = args[name];
    if (image === undefined) continue;
    if (images.length !== i)
      throw new ValidationError(`image_${images.length + 1}`, `is missing: give the images in order, image_1 first`);
    images.push(image);
  }
  return images;
}

/** A prompt naming `@image_n` with no image given is refused on every /video, omni or not. */
export function checkNoImageNamed(prompt: string): void {
  if (namedImages(prompt).length) {
    const v = referenceViolation(prompt, 0, 'this model', 0);
    if (v) refuse(v);
  }
}

/**
 * How many reference images `model` takes: its omni row's count; 0 for a model of another kind;
 * unknown: /video's 4.
 */
function maxImagesOf(model: string): number {
  const row = rowFor(model, 'omni');
  if (row) return row.references;
  return knownElsewhere(model, 'omni') ? 0 : MAX_REFERENCE_IMAGES;
}

export function omniVideoRequest(args: OmniVideoArgs, defaults: ModelDefaults): OmniRequest {
  const images = imagesOf(args);
  const model = args.model ?? defaults.omniModel ?? defaults.videoModel;
  const violation = referenceViolation(args.prompt, images.length, model, maxImagesOf(model));
  if (violation) refuse(violation);
  if (args.negative_prompt) throw new ValidationError('negative_prompt', 'omni video (reference images) has none');
  if (args.cfg_scale !== undefined) throw new ValidationError('cfg_scale', 'omni video (reference images) has none');
  const standard = defaults.standardFor?.(model, 'omni') ?? 'legacy';
  const row = rowFor(model, 'omni');
  const quality = resolveQuality({
    model,
    mode: args.mode,
    resolution: args.resolution,
    resolutions: resolutionsOn(row ?? { resolutions: ['720p', '1080p'] }, standard),
    standard,
  });
  if (!quality.ok) refuse(quality.violation);
  const aspect = args.aspect_ratio ?? '16:9';
  checkAsk({
    kind: 'omni',
    model,
    standard,
    ...(quality.mode ? { mode: quality.mode } : {}),
    ...(args.duration !== undefined ? { duration: args.duration } : {}),
    ...(args.sound !== undefined ? { sound: args.sound } : {}),
    aspectRatio: aspect,
  });
  // A model without sound takes no `sound` field at all: "off" is its only way anyway.
  const sound = args.sound === 'off' && row && row.audio.length === 0 ? undefined : args.sound;
  const expires = linksExpireAt(images);
  return {
    kind: 'omni',
    prompt: args.prompt,
    model,
    resolution: quality.resolution,
    duration: args.duration ?? defaultDuration(model, 'omni'),
    aspect_ratio: aspect,
    ...(sound !== undefined ? { sound } : {}),
    images,
    ...(expires !== undefined ? { imagesExpireAt: expires } : {}),
  };
}
