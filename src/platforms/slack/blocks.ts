import type { types } from '@slack/bolt';
import type { TaskState } from '../../domain.js';
import { cardButtonId } from '../../interaction-ids.js';
import { klingCopyUntil } from '../../render/follow-ups.js';
import type { CardView, PrivateView, TaskListView } from '../../render/view.js';
import { clamp, escapeClamped, escapeText, isButtonUrl, link, mention, slackDate } from './mrkdwn.js';

/** What chat.postMessage / chat.update / response_url take: `text` is the notification fallback. */
export interface SlackMessage {
  text: string;
  blocks: types.KnownBlock[];
}

/**
 * Block Kit limits (https://api.slack.com/reference/block-kit/blocks). TOTAL_TEXT stays under Slack's ~13k `msg_blocks_too_long`
 * with room for what we do not count exactly (emoji shortcodes Slack expands, for instance).
 */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fieldText: 2000,
  header: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  totalText: 12_000,
  fallbackText: 3000,
} as const;

/** action_ids are fixed per button kind; the button's `value` carries the core's id. */
export const ACTION_IDS = {
  refresh: 'kb_refresh',
  regenerate: 'kb_regenerate',
  extend: 'kb_extend',
  edit: 'kb_edit',
  delete: 'kb_delete',
  prev: 'kb_prev',
  next: 'kb_next',
  openPrefix: 'kb_open_',
} as const;

const TONE_EMOJI: Record<CardView['tone'], string> = {
  pending: ':hourglass_flowing_sand:',
  active: ':arrows_counterclockwise:',
  success: ':white_check_mark:',
  failure: ':x:',
  warning: ':warning:',
};

const STATE_EMOJI: Record<TaskState, string> = {
  pending: ':hourglass_flowing_sand:',
  queued: ':hourglass_flowing_sand:',
  submitted: ':hourglass_flowing_sand:',
  processing: ':arrows_counterclockwise:',
  succeed: ':white_check_mark:',
  failed: ':x:',
};

const NOTICE_EMOJI = { error: ':warning:', info: ':information_source:', success: ':white_check_mark:' } as const;

/** Video link buttons per card; more than this is a list, and the links section has them all. */
const MAX_LINK_BUTTONS = 5;
/** Ample for any realistic prompt; the view already shortens it to 350. */
const PROMPT_MAX = 2900;
const FIELD_VALUE_MAX = 1000;
/** Total characters the media links may take; beyond it the card points at /task. */
const MEDIA_BUDGET = 6000;

const plain = (text: string, max: number): types.PlainTextElement => ({
  type: 'plain_text',
  text: clamp(text, max) || ' ',
  emoji: true,
});
const mrkdwn = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text });
const section = (text: string): types.SectionBlock => ({
  type: 'section',
  text: mrkdwn(clamp(text, LIMITS.sectionText)),
});

/** Characters of every text object, as Slack counts towards `msg_blocks_too_long`. */
export function blocksTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + blocksTextLength(v), 0);
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'text' && typeof child === 'string') n += child.length;
    else n += blocksTextLength(child);
  }
  return n;
}

/** Lines packed into as few sections as the 3,000-character limit allows, within `budget`. */
function linkSections(lines: string[], budget: number, overflowText: (left: number) => string): types.SectionBlock[] {
  const sections: string[] = [];
  let current = '';
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (used + line.length + 1 > budget || line.length > LIMITS.sectionText) {
      const rest = overflowText(lines.length - i);
      if (current.length + rest.length + 1 <= LIMITS.sectionText) current = current ? `${current}\n${rest}` : rest;
      else sections.push(rest);
      break;
    }
    if (current.length + line.length + 1 > LIMITS.sectionText) {
      sections.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
    used += line.length + 1;
  }
  if (current) sections.push(current);
  return sections.map(section);
}

function cardButtons(view: CardView): types.Button[] {
  const videos = view.media
    .filter((m) => m.kind === 'video' && (!m.hosted || m.hosted.uploading) && isButtonUrl(m.url))
    .slice(0, MAX_LINK_BUTTONS)
    .map((m, i) => ({ id: String(i), text: `▶ ${m.label}`, url: m.url }));
  // A private copy of the card (/task) leads to the card itself, whose thread holds the upload.
  const card = view.cardUrl && isButtonUrl(view.cardUrl) ? [{ id: 'card', text: 'Go to card', url: view.cardUrl }] : [];
  const links: types.Button[] = [...card, ...videos].map((l) => ({
    type: 'button',
    action_id: `${ACTION_IDS.openPrefix}${l.id}`,
    text: plain(l.text, LIMITS.buttonText),
    url: l.url,
  }));
  const actions: types.Button[] = view.buttons.map((b) => ({
    type: 'button',
    action_id: ACTION_IDS[b.action],
    text: plain(b.label, LIMITS.buttonText),
    value: cardButtonId(b.action, view.taskId),
    ...(b.style === 'secondary' ? {} : { style: b.style }),
    ...(b.action === 'delete'
      ? {
          confirm: {
            title: plain('Delete this card?', 100),
            text: mrkdwn('The card is removed from the channel. The video links stop being shown here.'),
            confirm: plain('Delete', 30),
            deny: plain('Keep', 30),
            style: 'danger' as const,
          },
        }
      : {}),
  }));
  return [...links, ...actions].slice(0, LIMITS.actionsElements);
}

function cardContext(view: CardView): types.ContextBlock {
  const iso = new Date(view.startedAt).toISOString().replace('T', ' ').slice(0, 16);
  const elements: types.MrkdwnElement[] = [
    mrkdwn(
      view.tookText
        ? `Took ${escapeText(view.tookText)}`
        : `Started ${slackDate(view.startedAt, '{ago}', `${iso} UTC`)}`,
    ),
  ];
  if (view.expiresAt !== undefined) {
    const day = new Date(view.expiresAt).toISOString().slice(0, 10);
    const when = slackDate(view.expiresAt, '{date_short_pretty}', day);
    // With the copy in the thread, Kling's link matters only for Extend and Edit.
    const hosted = view.media.some((m) => m.hosted && !m.hosted.uploading);
    elements.push(mrkdwn(hosted ? `${klingCopyUntil(view.buttons)} ${when}` : `Links expire ${when}`));
  }
  return { type: 'context', elements };
}

/**
 * CardView → the task card. Pure. Long prompts, many links and oversized values are cut so the
 * message always stays inside Block Kit's limits: a card that Slack refuses would never show
 * its final state.
 */
export function cardMessage(view: CardView): SlackMessage {
  const status = [`${TONE_EMOJI[view.tone]} *${escapeClamped(view.statusLine, 300)}*`];
  if (view.progress) status.push(`\`${escapeClamped(view.progress.bar, 100)}\``);
  const fields = view.fields.slice(0, 10).map((f) => {
    // The requester's name becomes a mention, which Slack keeps current with their display name.
    const value =
      f.value === view.requester.name
        ? mention(view.requester.id, view.requester.name)
        : escapeClamped(f.value, FIELD_VALUE_MAX);
    return mrkdwn(`*${escapeClamped(f.label, 100)}*\n${value}`);
  });
  const media = view.media.map((m) =>
    m.hosted && !m.hosted.uploading
      ? `• ${escapeClamped(m.label, 100)}: in this card's thread (${link(m.url, "Kling's copy")})`
      : `• ${link(m.url, m.label)}${m.hosted ? ": uploading a copy to this card's thread…" : ''}`,
  );
  const head: types.KnownBlock[] = [
    { type: 'header', text: plain(view.title, LIMITS.header) },
    section(status.join('\n')),
  ];
  const tail: types.KnownBlock[] = [
    ...(fields.length > 0 ? [{ type: 'section' as const, fields }] : []),
    ...(view.notice
      ? [section(`${view.tone === 'failure' ? ':x:' : ':warning:'} ${escapeClamped(view.notice, 2000)}`)]
      : []),
    ...(view.mediaNote ? [section(`:information_source: ${escapeClamped(view.mediaNote, 500)}`)] : []),
    ...linkSections(media, MEDIA_BUDGET, (left) => `…and ${left} more: \`/task ${view.taskId}\``),
    cardContext(view),
  ];
  const buttons = cardButtons(view);
  if (buttons.length > 0) tail.push({ type: 'actions', elements: buttons });
  // Whatever the rest takes, the prompt gets what is left of the total budget.
  const promptRoom = Math.min(PROMPT_MAX, LIMITS.totalText - blocksTextLength([...head, ...tail]) - 10);
  const prompt = promptRoom > 40 ? [section(`>${escapeClamped(view.prompt, promptRoom).replace(/\n/g, '\n>')}`)] : [];
  return {
    text: escapeClamped(view.fallbackText, LIMITS.fallbackText),
    blocks: [...head, ...prompt, ...tail].slice(0, LIMITS.blocks),
  };
}

/** The smallest valid card: used when Slack rejects the full one, so the final state still shows. */
export function plainCardMessage(view: CardView): SlackMessage {
  const text = escapeClamped(view.fallbackText, LIMITS.sectionText - 10);
  const buttons = cardButtons(view).filter((b) => b.url === undefined);
  return {
    text,
    blocks: [section(text), ...(buttons.length > 0 ? [{ type: 'actions' as const, elements: buttons }] : [])],
  };
}

function listRow(row: TaskListView['rows'][number], withLink: boolean, promptMax: number): string {
  const when = slackDate(
    row.createdAt,
    '{date_short} {time}',
    new Date(row.createdAt).toISOString().slice(0, 16).replace('T', ' '),
  );
  // The card's message outlives Kling's link: its thread holds the uploaded copy.
  const target = row.cardUrl && row.cardUrl.length <= 1000 ? link(row.cardUrl, 'card') : undefined;
  const result = row.url && row.url.length <= 1000 ? link(row.url, 'open') : undefined;
  const url = withLink && (target ?? result) ? ` · ${target ?? result}` : '';
  const head = `${STATE_EMOJI[row.state]} *${escapeClamped(row.stateLabel, 60)}* · \`${escapeClamped(row.taskId, 60)}\` · ${when} · ${escapeClamped(row.requesterName, 80)}${row.units ? ` · ${row.units}` : ''}`;
  return `${head}\n${escapeClamped(row.prompt, promptMax)}${url}`;
}

/** TaskListView → an ephemeral page with Prev/Next buttons whose values are the core's page ids. */
export function taskListMessage(list: TaskListView): SlackMessage {
  const build = (withLinks: boolean, promptMax: number): SlackMessage => {
    const rows = list.rows.slice(0, LIMITS.blocks - 4).map((r) => section(listRow(r, withLinks, promptMax)));
    const buttons: types.Button[] = [];
    if (list.prevId)
      buttons.push({
        type: 'button',
        action_id: ACTION_IDS.prev,
        text: plain('◀ Prev', LIMITS.buttonText),
        value: list.prevId,
      });
    if (list.nextId)
      buttons.push({
        type: 'button',
        action_id: ACTION_IDS.next,
        text: plain('Next ▶', LIMITS.buttonText),
        value: list.nextId,
      });
    const summary = `${escapeClamped(list.filterText, 500)} · ${escapeText(list.positionText)}`;
    return {
      text: `${escapeClamped(list.title, 150)}: ${escapeText(list.positionText)}`,
      blocks: [
        { type: 'header', text: plain(list.title, LIMITS.header) },
        { type: 'context', elements: [mrkdwn(summary)] },
        ...(rows.length > 0 ? rows : [section(`_${escapeClamped(list.emptyText, 500)}_`)]),
        ...(buttons.length > 0 ? [{ type: 'actions' as const, elements: buttons }] : []),
      ],
    };
  };
  // Links are the first thing to go if the page would be too long; then prompts shrink.
  for (const [withLinks, promptMax] of [
    [true, 500],
    [false, 500],
    [false, 100],
  ] as const) {
    const message = build(withLinks, promptMax);
    if (blocksTextLength(message.blocks) <= LIMITS.totalText) return message;
  }
  return build(false, 40);
}

/** A private notice (errors, confirmations, /quota). Core texts mark field names with `**`. */
export function noticeMessage(view: Extract<PrivateView, { kind: 'notice' }>): SlackMessage {
  const body = escapeClamped(view.text, LIMITS.sectionText - 200).replace(/\*\*(.+?)\*\*/g, '*$1*');
  return {
    text: escapeClamped(`${view.title}: ${view.text.replace(/\*\*/g, '')}`, LIMITS.fallbackText),
    blocks: [section(`${NOTICE_EMOJI[view.tone]} *${escapeClamped(view.title, 150)}*\n${body}`)],
  };
}

/** Any private view, for ephemeral replies. */
export function privateMessage(view: PrivateView): SlackMessage {
  switch (view.kind) {
    case 'notice':
      return noticeMessage(view);
    case 'card':
      return cardMessage(view.card);
    case 'list':
      return taskListMessage(view.list);
  }
}
