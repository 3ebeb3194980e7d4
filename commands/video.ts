import { z } from 'zod';
import { cfgScale, duration, mode, model, negativePrompt, prompt, videoAspect } from './options.js';
import { defineCommand } from './types.js';

export default defineCommand({
  name: 'video',
  description: 'Generate a video from a text prompt',
  visibility: 'card',
  freeText: 'prompt',
  options: z.object({
    prompt,
    negative_prompt: negativePrompt,
    model,
    mode,
    duration,
    aspect_ratio: videoAspect,
    cfg_scale: cfgScale,
  }),
  async execute({ inv, io, bot }, args) {
    await bot.tasks.submit(inv, io, {
      kind: 'text2video',
      prompt: args.prompt,
      ...(args.negative_prompt ? { negative_prompt: args.negative_prompt } : {}),
      model: args.model ?? bot.defaults.videoModel,
      mode: args.mode ?? 'std',
      duration: args.duration ?? '5',
      aspect_ratio: args.aspect_ratio ?? '16:9',
      ...(args.cfg_scale !== undefined ? { cfg_scale: args.cfg_scale } : {}),
    });
  },
});
