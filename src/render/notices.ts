import type { PrivateView } from './view.js';
import { durationText, isoDate } from './format.js';
import { usageText, type UsageSubject } from './usage.js';

/** Every private sentence the bot says, in one place; handlers never assemble text. */

export const errorNotice = (text: string): PrivateView => ({ kind: 'notice', tone: 'error', title: 'Not done', text });

export const infoNotice = (title: string, text: string): PrivateView => ({ kind: 'notice', tone: 'info', title, text });

export const notices = {
  invalidOption: (command: string, detail: string) => errorNotice(`/${command}: ${detail}. Nothing was sent to Kling.`),
  notFound: (id: string) => errorNotice(`No task \`${id}\` was found here. Use the id shown on a card, or /tasks to browse.`),
  deleted: () => ({ kind: 'notice', tone: 'success', title: 'Deleted', text: 'The task card was deleted.' }) satisfies PrivateView,
  notYourPage: () => errorNotice('These pages belong to someone else’s /tasks. Run /tasks yourself to browse.'),
  unknownButton: () => errorNotice('This button is no longer valid. Run the command again.'),
  usage: (command: UsageSubject, defaults: { videoModel: string; imageModel: string }) =>
    infoNotice(`/${command.name}`, usageText(command, command.modelKind === 'image' ? defaults.imageModel : defaults.videoModel)),
  cardUnavailable: (taskId: string) => errorNotice(`The task ${taskId} was submitted, but its card could not be posted here. Follow it with /task ${taskId}.`),
  quota: (q: { active: number; activeLimit: number; today: number; dailyLimit: number; guildToday: number; guildLimit: number; resetsInMs: number; admin: boolean }) => {
    const cap = (n: number) => (n === 0 ? 'unlimited' : String(n));
    const lines = [
      `Running now: ${q.active} of ${cap(q.activeLimit)}`,
      `Today: ${q.today} of ${cap(q.dailyLimit)}`,
      `This server today: ${q.guildToday} of ${cap(q.guildLimit)}`,
      `Daily counts reset at 00:00 UTC, in ${durationText(q.resetsInMs)}.`,
      ...(q.admin ? ['You are an admin: limits do not apply to you.'] : []),
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
  notYours: () => 'Only the person who asked for this task, or an admin, can delete it.',
  notFinished: () => 'This task is still running; it can be deleted once it has finished.',
  extendNotVideo: (id: string) => `Task ${id} made images, not a video: only a video can be extended.`,
  extendNotFinished: (id: string) => `Task ${id} has no finished video yet: it can be extended once it has succeeded.`,
  extendTooOld: (id: string, finishedAt: number) =>
    `The video of task ${id} was made on ${isoDate(finishedAt)}, over 30 days ago: Kling has deleted it, so it cannot be extended.`,
  extendTooLong: (id: string, seconds: number, maxSeconds: number) =>
    `The video of task ${id} is already ${Math.round(seconds)} s long: one more extension (4–5 s) would pass Kling's limit of ${maxSeconds / 60} minutes in total.`,
};
