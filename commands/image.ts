import { z } from 'zod';
import { imageAspect, imageCount, model, negativePrompt, prompt } from './options.js';
import { imageRequest } from './generation.js';
import { defineCommand } from './types.js';

export default defineCommand({
  name: 'image',
  description: 'Generate images from a text prompt',
  visibility: 'card',
  modelKind: 'image',
  freeText: 'prompt',
  options: z.object({
    prompt,
    negative_prompt: negativePrompt,
    model,
    aspect_ratio: imageAspect,
    n: imageCount,
  }),
  prepare: (args, { defaults }) => ({ submit: imageRequest(args, defaults) }),
});
