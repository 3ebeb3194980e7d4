import { z } from 'zod';
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
import { checkAttachments, imageToVideoRequest } from './generation.js';
import { resolutionOption } from '../src/omni/resolution.js';
import { defineCommand } from './types.js';

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
    return { submit: imageToVideoRequest(args, defaults) };
  },
});
