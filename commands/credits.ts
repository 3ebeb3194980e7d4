import { z } from 'zod';
import { RefusedError } from '../src/errors.js';
import { notices, refusals } from '../src/render/notices.js';
import { defineCommand } from './types.js';

export default defineCommand({
  name: 'credits',
  description: 'Admins: the Kling account’s resource packs, what is left and when they expire',
  visibility: 'private',
  options: z.object({}),
  async execute({ inv, io, bot }) {
    if (!bot.limits.isAdmin(inv)) throw new RefusedError('credits_admin_only', refusals.creditsAdminOnly());
    const answer = await bot.credits.get();
    await io.replyPrivate(
      answer.kind === 'gateway' ? notices.creditsGateway() : notices.credits(answer.packs, answer.fetchedAt),
    );
  },
});
