import { z } from 'zod';
import { notices } from '../src/render/notices.js';
import { defineCommand } from './types.js';

export default defineCommand({
  name: 'quota',
  description: 'Your limits: running tasks, today’s count and when it resets',
  visibility: 'private',
  options: z.object({}),
  async execute({ inv, io, bot }) {
    await io.replyPrivate(notices.quota(await bot.limits.quota(inv)));
  },
});
