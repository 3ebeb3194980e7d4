import { z } from 'zod';
import { editRequest } from '../src/omni/edit-request.js';
import { groupedNumber } from '../src/render/format.js';
import { notices } from '../src/render/notices.js';
import { PROMPT_MAX } from './options.js';
import { defineCommand } from './types.js';

export default defineCommand({
  name: 'edit',
  description: 'Edit a finished video by an instruction ("make it snow"); a new task with its own card',
  visibility: 'card',
  firstWord: 'id',
  freeText: 'instruction',
  options: z.object({
    id: z
      .string()
      .trim()
      .min(1, 'is required: the id shown on the video’s card')
      .max(64, 'must be at most 64 characters')
      .describe('Task id of the finished video (ours or Kling’s)'),
    instruction: z
      .string()
      .trim()
      .min(1, 'is required: say what should change, such as "make it snow"')
      .max(PROMPT_MAX, `must be at most ${groupedNumber(PROMPT_MAX)} characters`)
      .describe('What should change'),
  }),
  async execute({ inv, io, bot }, args) {
    const source = await bot.tasks.find(inv, args.id);
    if (!source) return io.replyPrivate(notices.notFound(args.id));
    await bot.tasks.submit(inv, io, editRequest(source, args.instruction, bot.defaults.omniModel, bot.now()));
  },
});
