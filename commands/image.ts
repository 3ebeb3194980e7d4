import { z } from 'zod';
import { imageAspect, imageCount, model, negativePrompt, prompt } from './options.js';
import { defineCommand } from './types.js';

export default defineCommand({
  name: 'image',
  description: 'Generate images from a text prompt',
  visibility: 'card',
  freeText: 'prompt',
  options: z.object({
    prompt,
    negative_prompt: negativePrompt,
    model,
    aspect_ratio: imageAspect,
    n: imageCount,
  }),
  async execute({ inv, io, bot }, args) {
    await bot.tasks.submit(inv, io, {
      kind: 'image',
      prompt: args.prompt,
      ...(args.negative_prompt ? { negative_prompt: args.negative_prompt } : {}),
      model: args.model ?? bot.defaults.imageModel,
      aspect_ratio: args.aspect_ratio ?? '1:1',
      n: args.n ?? 1,
    });
  },
});
