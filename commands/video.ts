import { z } from 'zod';
import type { GenerationRequest } from '../src/domain.js';
import {
  cfgScale,
  duration,
  mode,
  model,
  negativePrompt,
  prompt,
  referenceImageUrl,
  sound,
  videoAspect,
} from './options.js';
import { checkAttachments, textToVideoRequest, type ModelDefaults } from './generation.js';
import { checkNoImageNamed, IMAGE_OPTIONS, imagesOf, omniVideoRequest, type OmniVideoArgs } from './omni-video.js';
import { resolutionOption } from '../src/omni/resolution.js';
import { defineCommand } from './types.js';

/** A text-to-video task, or with reference images an omni-video task (the prompt names them @image_1…). */
function videoRequest(args: OmniVideoArgs, defaults: ModelDefaults): GenerationRequest {
  if (imagesOf(args).length > 0) return omniVideoRequest(args, defaults);
  checkNoImageNamed(args.prompt);
  return textToVideoRequest(args, defaults);
}

export default defineCommand({
  name: 'video',
  description: 'Generate a video from a text prompt, optionally from your own images (@image_1 in the prompt)',
  visibility: 'card',
  modelKind: 'text2video',
  freeText: 'prompt',
  attachmentOptions: IMAGE_OPTIONS,
  repeatable: { flag: 'image', options: IMAGE_OPTIONS },
  options: z.object({
    prompt,
    negative_prompt: negativePrompt,
    model,
    mode,
    resolution: resolutionOption,
    duration,
    aspect_ratio: videoAspect,
    sound,
    cfg_scale: cfgScale,
    image_1: referenceImageUrl(1),
    image_2: referenceImageUrl(2),
    image_3: referenceImageUrl(3),
    image_4: referenceImageUrl(4),
  }),
  prepare(args, { attachments, defaults }) {
    checkAttachments(attachments);
    return { submit: videoRequest(args, defaults) };
  },
});
