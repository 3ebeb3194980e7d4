import { z } from 'zod';
import { extendRequest } from '../src/extend.js';
import { groupedNumber } from '../src/render/format.js';
import { notices } from '../src/render/notices.js';
import { negativePrompt, PROMPT_MAX } from './options.js';
import { defineCommand } from './types.js';

export default defineCommand({
  name: 'extend',
  description: 'Make a finished video 4–5 s longer (same model and mode; optional new prompt)',
  visibility: 'card',
  firstWord: 'id',
  freeText: 'prompt',
  options: z.object({
    id: z
      .string()
      .trim()
      .min(1, 'is required: the id shown on the video’s card')
      .max(64, 'must be at most 64 characters')
      .describe('Task id of the finished video (ours or Kling’s)'),
    prompt: z
      .string()
      .trim()
      .max(PROMPT_MAX, `must be at most ${groupedNumber(PROMPT_MAX)} characters`)
      .optional()
      .describe('What happens in the next seconds (default: the video’s own prompt)'),
    negative_prompt: negativePrompt,
  }),
  async execute({ inv, io, bot }, args) {
    const source = await bot.tasks.find(inv, args.id);
    if (!source) return io.replyPrivate(notices.notFound(args.id));
    await bot.tasks.submit(inv, io, extendRequest(source, bot.now(), args));
  },
});
