import { z } from 'zod';
import type { PageQueryIds } from '../src/interaction-ids.js';
import { renderTaskList } from '../src/render/task-list.js';
import type { BotServices } from '../src/services.js';
import { pageOf } from '../src/store/paging.js';
import { page, pageSize, scope, since, statusFilter, until } from './options.js';
import { defineCommand, type CommandIO, type Invocation } from './types.js';

/** Also serves the Prev/Next buttons, which carry the same query. Each row links to its card's message. */
export async function showTasksPage(bot: BotServices, inv: Invocation, io: CommandIO, q: PageQueryIds) {
  const result = await pageOf(bot.store, {
    platform: inv.platform,
    guildId: inv.guildId,
    ...(q.scope === 'mine' ? { userId: inv.user.id } : { channelId: inv.channelId }),
    ...(q.status ? { status: q.status } : {}),
    ...(q.since !== undefined ? { since: q.since } : {}),
    ...(q.until !== undefined ? { until: q.until } : {}),
    page: q.page,
    pageSize: q.pageSize,
  });
  const links = (await io.cardLinks?.(result.items.map((t) => t.card))) ?? [];
  return { kind: 'list' as const, list: renderTaskList(result, q, links) };
}

export default defineCommand({
  name: 'tasks',
  description: 'Browse task history, newest first',
  visibility: 'private',
  options: z.object({ status: statusFilter, scope, since, until, page, page_size: pageSize }),
  async execute({ inv, io, bot }, args) {
    const view = await showTasksPage(bot, inv, io, {
      owner: inv.user.id,
      page: args.page,
      pageSize: args.page_size,
      scope: args.scope,
      ...(args.status ? { status: args.status } : {}),
      ...(args.since !== undefined ? { since: args.since } : {}),
      ...(args.until !== undefined ? { until: args.until } : {}),
    });
    await io.replyPrivate(view);
  },
});
