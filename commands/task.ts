import { z } from 'zod';
import { notices } from '../src/render/notices.js';
import { defineCommand } from './types.js';

export default defineCommand({
  name: 'task',
  description: "Show one task's card by its id",
  visibility: 'private',
  freeText: 'id',
  options: z.object({
    id: z
      .string()
      .trim()
      .min(1, 'is required: the id shown on a card')
      .max(64, 'must be at most 64 characters')
      .describe('Task id (ours or Kling’s)'),
  }),
  async execute({ inv, io, bot }, args) {
    const rec = await bot.tasks.find(inv, args.id);
    if (!rec) return io.replyPrivate(notices.notFound(args.id));
    bot.tasks.refresh(rec, inv.user.id);
    const card = bot.tracker.view(rec);
    // The card's message is where the uploaded copy plays; Kling's link dies after 30 days.
    const [cardUrl] = (await io.cardLinks?.([rec.card])) ?? [];
    await io.replyPrivate({ kind: 'card', card: cardUrl ? { ...card, cardUrl } : card });
  },
});
