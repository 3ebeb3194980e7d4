import { z } from 'zod';
import { cfgScale, duration, mode, model, negativePrompt, prompt, sound, videoAspect } from './options.js';
import { textToVideoRequest } from './generation.js';
import { defineCommand } from './types.js';

export default defineCommand({
  name: 'video',
  description: 'Generate a video from a text prompt',
  visibility: 'card',
  modelKind: 'text2video',
  freeText: 'prompt',
  options: z.object({
    prompt,
    negative_prompt: negativePrompt,
    model,
    mode,
    duration,
    aspect_ratio: videoAspect,
    sound,
    cfg_scale: cfgScale,
  }),
  check(args, { defaults }) {
    textToVideoRequest(args, defaults);
  },
  async execute({ inv, io, bot }, args) {
    await bot.tasks.submit(inv, io, textToVideoRequest(args, bot.defaults));
  },
});
