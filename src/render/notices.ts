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
  cardUnavailable: (taskId: string) =>
    errorNotice(
      `The task ${taskId} was submitted, but its card could not be posted here. Follow it with /task ${taskId}.`,
    ),
  quota: (q: {
    active: number;
    activeLimit: number;
    today: number;
    dailyLimit: number;
    unitsToday?: number;
    unitsRunning?: number;
    guildToday: number;
    guildLimit: number;
    resetsInMs: number;
    admin: boolean;
  }) => {
    const cap = (n: number) => (n === 0 ? 'unlimited' : String(n));
    const lines = [
      `Running now: ${q.active} of ${cap(q.activeLimit)}`,
      `Today: ${q.today} of ${cap(q.dailyLimit)}`,
      ...(q.unitsToday !== undefined
        ? [
            `Units today: ${unitsText(q.unitsToday)}${q.unitsRunning ? `, and ≈ ${unitsText(q.unitsRunning)} for tasks still running (estimate)` : ''}`,
          ]
        : []),
      `This server today: ${q.guildToday} of ${cap(q.guildLimit)}`,
      `Daily counts reset at 00:00 UTC, in ${durationText(q.resetsInMs)}.`,
      ...(q.admin ? ['You are an admin: your own limits do not apply to you (the server’s daily cap does).'] : []),
    ];
    return infoNotice('Your limits', lines.join('\n'));
  },
};

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
