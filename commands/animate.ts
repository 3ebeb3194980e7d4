import { z } from 'zod';
import { ValidationError } from '../src/errors.js';
import {
  cfgScale,
  duration,
  endImageUrl,
  imageUrl,
  mode,
  model,
  negativePrompt,
  optionalPrompt,
  sound,
} from './options.js';
import { imageToVideoRequest } from './generation.js';
import { resolutionOption } from '../src/omni/resolution.js';
import { defineCommand, type Attachment } from './types.js';

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

export default defineCommand({
  name: 'animate',
  description: 'Turn an image into a video, optionally ending on a second image',
  visibility: 'card',
  modelKind: 'image2video',
  freeText: 'prompt',
  attachmentOptions: ['image', 'end_image'],
  firstWordIsImage: true,
  options: z.object({
    image: imageUrl,
    end_image: endImageUrl,
    prompt: optionalPrompt,
    negative_prompt: negativePrompt,
    model,
    mode,
    resolution: resolutionOption,
    duration,
    sound,
    cfg_scale: cfgScale,
  }),
  prepare(args, { attachments, defaults }) {
    checkAttachments(attachments);
    return imageToVideoRequest(args, defaults);
  },
  async execute({ inv, io, bot }, _args, request) {
    await bot.tasks.submit(inv, io, request);
  },
});
