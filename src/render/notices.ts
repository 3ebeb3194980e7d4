import type { PrivateView } from './view.js';
import type { Pack } from '../kling/schemas.js';
import { durationText, isoDate, unitsText } from './format.js';
import { usageText, type UsageSubject } from './usage.js';

const PACK_STATUS_WORDS: Record<Pack['status'], string> = {
  toBeOnline: 'not active yet',
  online: 'active',
  expired: 'expired',
  runOut: 'used up',
  unknown: 'status unknown',
};
const formatUnits = (n: number) => String(Math.round(n * 100) / 100);

/** Every private sentence the bot says, in one place; handlers never assemble text. */

export const errorNotice = (text: string): PrivateView => ({ kind: 'notice', tone: 'error', title: 'Not done', text });

export const infoNotice = (title: string, text: string): PrivateView => ({ kind: 'notice', tone: 'info', title, text });

export const notices = {
  invalidOption: (command: string, detail: string) => errorNotice(`/${command}: ${detail}. Nothing was sent to Kling.`),
  notFound: (id: string) =>
    errorNotice(`No task \`${id}\` was found here. Use the id shown on a card, or /tasks to browse.`),
  deleted: () =>
    ({ kind: 'notice', tone: 'success', title: 'Deleted', text: 'The task card was deleted.' }) satisfies PrivateView,
  notYourPage: () => errorNotice('These pages belong to someone else’s /tasks. Run /tasks yourself to browse.'),
  unknownButton: () => errorNotice('This button is no longer valid. Run the command again.'),
  unknownForm: () => errorNotice('This form is no longer valid. Run the command again.'),
  editByCommand: (id: string) => infoNotice('Edit', `Say what should change with \`/edit ${id} make it snow\`.`),
  tooSlowForForm: () =>
    errorNotice('The form could not open in time: use the command instead (/edit with the task id shown on the card).'),
  usage: (command: UsageSubject, defaults: { videoModel: string; imageModel: string }) =>
    infoNotice(
      `/${command.name}`,
      usageText(command, command.modelKind === 'image' ? defaults.imageModel : defaults.videoModel),
    ),
  credits: (packs: readonly Pack[], fetchedAt: number) => {
    const lines = packs.length
      ? packs.map((p) => {
          const left =
            p.remaining !== undefined
              ? `${formatUnits(p.remaining)}${p.total !== undefined ? ` of ${formatUnits(p.total)}` : ''} left`
              : 'remaining unknown';
          const expiry = p.expiresAt !== undefined ? `expires ${isoDate(p.expiresAt)}` : 'no expiry given';
          return `• ${p.name}${p.type ? ` (${p.type})` : ''}: ${left} · ${expiry} · ${PACK_STATUS_WORDS[p.status]}`;
        })
      : ['No resource packs were found for this account in the last year.'];
    return infoNotice(
      'Kling resource packs',
      [
        ...lines,
        `As of ${new Date(fetchedAt).toISOString().slice(11, 16)} UTC (asked at most once a minute). Kling updates the remaining figure with a delay of up to about 12 hours.`,
      ].join('\n'),
    );
  },
  creditsGateway: () =>
    infoNotice(
      'Kling resource packs',
      'The bot reaches Kling through a gateway (KLING_API_KEY), and gateways do not expose the account’s resource packs. Check the balance on the gateway’s own site.',
    ),
  cannotPostHere: () =>
    errorNotice(
      'The bot is not in this channel, so it cannot post the task card here. Invite it first (/invite and the bot’s name), or use a public channel. Nothing was sent to Kling.',
    ),
  cardUnavailable: () =>
    errorNotice(
      'The task card could not be posted here, so nothing was sent to Kling. Try again, or use a channel the bot can post in.',
    ),
  quota: (q: {
    active: number;
    activeLimit: number;
    today: number;
    dailyLimit: number;
    unitsRunning?: number;
    guildToday: number;
    guildLimit: number;
    resetsInMs: number;
    admin: boolean;
    budgets?: Record<'user' | 'guild' | 'bot', { used: number; limit: number }>;
    spendByUser?: ReadonlyArray<{ name: string; units: number }>;
  }) => {
    const cap = (n: number) => (n === 0 ? 'unlimited' : String(n));
    const lines = [
      `Running now: ${q.active} of ${cap(q.activeLimit)}`,
      `Today: ${q.today} of ${cap(q.dailyLimit)}`,
      `This server today: ${q.guildToday} of ${cap(q.guildLimit)}`,
      ...(q.budgets ? budgetLines(q.budgets, q.admin) : []),
      ...(q.unitsRunning ? ['Tasks still running count at their estimate until Kling charges them.'] : []),
      ...(q.spendByUser?.length
        ? [
            `Spent today in this server, by user: ${q.spendByUser.map((u) => `${u.name} ${unitsText(u.units)}`).join(' · ')}`,
          ]
        : []),
      `Daily counts reset at 00:00 UTC, in ${durationText(q.resetsInMs)}.`,
      ...(q.admin
        ? ['You are an admin: your own limits do not apply to you (the server’s and the bot’s caps and budgets do).']
        : []),
    ];
    return infoNotice('Your limits', lines.join('\n'));
  },
};

/** One line per unit budget: used, and of how much with what is left (the bot's only when it has one). */
function budgetLines(b: Record<'user' | 'guild' | 'bot', { used: number; limit: number }>, admin: boolean): string[] {
  const line = (who: string, { used, limit }: { used: number; limit: number }, binds = true) =>
    `Units today (${who}): ${unitsText(used)}${
      limit > 0 && binds
        ? ` of ${formatUnits(limit)}, ${unitsText(Math.max(0, Math.round((limit - used) * 100) / 100))} left`
        : binds
          ? ' (no budget)'
          : ' (your budget does not apply to admins)'
    }`;
  return [
    line('you', b.user, !admin || b.user.limit === 0),
    line('this server', b.guild),
    ...(b.bot.limit > 0 ? [line('the whole bot', b.bot)] : []),
  ];
}

const BUDGET_WORDS = {
  user: 'your daily budget',
  guild: 'this server’s daily budget',
  bot: 'the bot’s daily budget (all servers together)',
} as const;

/** Why a request was refused: the sentence a RefusedError carries (shown through errorNotice). */
export const refusals = {
  channelNotAllowed: () => 'Generation is not enabled in this channel. Ask an admin which channels are open for it.',
  roleNotAllowed: () => 'You need one of the roles an admin allowed for generating videos.',
  activeCap: (active: number, limit: number) =>
    `You already have ${active} task${active === 1 ? '' : 's'} running (limit ${limit}). Try again when one finishes.`,
  userDailyCap: (limit: number, resetsInMs: number) =>
    `You have used your ${limit} tasks for today. The limit resets at 00:00 UTC, in ${durationText(resetsInMs)}.`,
  guildDailyCap: (limit: number, resetsInMs: number) =>
    `This server has used its ${limit} tasks for today. The limit resets at 00:00 UTC, in ${durationText(resetsInMs)}.`,
  /** A unit budget (all figures in video units): names the budget, the estimate and what is left. */
  overBudget: (budget: 'user' | 'guild' | 'bot', needs: number, cap: number, left: number, resetsInMs: number) =>
    `This needs about ${unitsText(needs)}; ${BUDGET_WORDS[budget]} is ${unitsText(cap)} and ${left > 0 ? `${unitsText(left)} ${left === 1 ? 'is' : 'are'}` : 'none is'} left. It resets at 00:00 UTC, in ${durationText(resetsInMs)}.`,
  modelNotAllowed: (model: string, allowed: readonly string[]) =>
    `The model ${model} is not allowed here. Models you can use: ${allowed.join(', ')}.`,
  regenerateModelNotAllowed: (taskId: string, model: string, allowed: readonly string[]) =>
    `Task ${taskId} was made with ${model}, which is no longer allowed here, so it cannot be run again. Models you can use: ${allowed.join(', ')}.`,
  creditsAdminOnly: () => 'Only admins can see the Kling account’s resource packs.',
  notYours: () => 'Only the person who asked for this task, or an admin, can delete it.',
  notFinished: () => 'This task is still running; it can be deleted once it has finished.',
  extendNotVideo: (id: string) => `Task ${id} made images, not a video: only a video can be extended.`,
  extendNotFinished: (id: string) => `Task ${id} has no finished video yet: it can be extended once it has succeeded.`,
  extendTooOld: (id: string, finishedAt: number) =>
    `The video of task ${id} was made on ${isoDate(finishedAt)}, over 30 days ago: Kling has deleted it, so it cannot be extended.`,
  extendTooLong: (id: string, seconds: number, maxSeconds: number) =>
    `The video of task ${id} is already ${Math.round(seconds)} s long: one more extension (4–5 s) would pass Kling's limit of ${maxSeconds / 60} minutes in total.`,
};
