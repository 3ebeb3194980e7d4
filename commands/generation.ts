import type { GenerationRequest } from '../src/domain.js';
import { ValidationError } from '../src/errors.js';
import type { CapabilityKind } from '../src/kling/capabilities.js';
import { defaultDuration, defaultMode, violationOf, type Ask, type Standard } from '../src/kling/rules.js';

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
  duration?: string | undefined;
  cfg_scale?: number | undefined;
  sound?: 'on' | 'off' | undefined;
}

/** The options a video kind shares, defaults resolved for the chosen model. */
function videoCommon(
  kind: CapabilityKind,
  args: VideoArgs,
  defaults: ModelDefaults,
  extra: Pick<Ask, 'endFrame'> = {},
) {
  const model = args.model ?? defaults.videoModel;
  checkAsk({
    kind,
    model,
    standard: defaults.standardFor?.(model, kind) ?? 'legacy',
    ...(args.negative_prompt ? { negativePrompt: true } : {}),
    ...(args.mode !== undefined ? { mode: args.mode } : {}),
    ...(args.duration !== undefined ? { duration: args.duration } : {}),
    ...(args.cfg_scale !== undefined ? { cfgScale: true } : {}),
    ...(args.sound !== undefined ? { sound: args.sound } : {}),
    ...extra,
  });
  return {
    model,
    mode: args.mode ?? defaultMode(model, kind),
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
