import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIEmbed,
  type APIEmbedField,
} from 'discord.js';
import { cardButtonId, DISABLED_PAGE_IDS } from '../../interaction-ids.js';
import { isoDate } from '../../render/format.js';
import type { CardView, PrivateView, TaskListView } from '../../render/view.js';
import { clip, escapeClipped } from './markdown.js';

export { clip };

/** Discord's message limits (https://discord.com/developers/docs/resources/message); a payload over any of them is refused with 50035. */
export const LIMITS = {
  content: 2000,
  embedTotal: 6000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  rows: 5,
  buttonsPerRow: 5,
  customId: 100,
  buttonLabel: 80,
  linkUrl: 512,
} as const;

/** The message body every renderer produces; callers add flags and mention rules. */
export interface DiscordMessage {
  content: string;
  embeds: APIEmbed[];
  components: Array<APIActionRowComponent<APIButtonComponent>>;
}

export const TONE_COLOURS: Record<CardView['tone'], number> = {
  pending: 0x99aab5,
  active: 0x5865f2,
  success: 0x57f287,
  failure: 0xed4245,
  warning: 0xfee75c,
};

const NOTICE_COLOURS = { error: 0xed4245, info: 0x5865f2, success: 0x57f287 } as const;

const BUTTON_STYLES: Record<
  CardView['buttons'][number]['style'],
  ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Danger
> = {
  primary: ButtonStyle.Primary,
  secondary: ButtonStyle.Secondary,
  danger: ButtonStyle.Danger,
};

const len = (s: string | undefined) => (s ? [...s].length : 0);

/** What Discord counts towards the 6,000-character embed total. */
export function embedLength(embed: APIEmbed): number {
  return (
    len(embed.title) +
    len(embed.description) +
    len(embed.footer?.text) +
    len(embed.author?.name) +
    (embed.fields ?? []).reduce((n, f) => n + len(f.name) + len(f.value), 0)
  );
}

const unix = (ms: number) => Math.floor(ms / 1000);
const isHttp = (url: string) => /^https?:\/\//i.test(url);

function rowsOf(buttons: APIButtonComponent[]): Array<APIActionRowComponent<APIButtonComponent>> {
  const rows: Array<APIActionRowComponent<APIButtonComponent>> = [];
  for (let i = 0; i < buttons.length && rows.length < LIMITS.rows; i += LIMITS.buttonsPerRow) {
    rows.push({ type: ComponentType.ActionRow, components: buttons.slice(i, i + LIMITS.buttonsPerRow) });
  }
  return rows;
}

/** Markdown links to the results, as many as fit in one field value. */
function resultsValue(media: CardView['media']): string | undefined {
  if (media.length === 0) return undefined;
  const lines: string[] = [];
  let used = 0;
  for (const [i, m] of media.entries()) {
    const line = isHttp(m.url) && !/[()\s]/.test(m.url) ? `[${m.label}](${m.url})` : m.label;
    const more = `…and ${media.length - i} more (see the buttons)`;
    if (used + line.length + 1 > LIMITS.fieldValue - more.length - 1) {
      lines.push(more);
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  return lines.join('\n');
}

function cardFields(view: CardView): APIEmbedField[] {
  const fields: APIEmbedField[] = [];
  if (view.progress) {
    const p = view.progress;
    fields.push({ name: 'Progress', value: `${p.bar} ${p.percent}%${p.estimated ? ' (estimate)' : ''}` });
  }
  // Field values carry user text (the requester's name) and Kling's: shown as typed, never as markdown.
  for (const f of view.fields)
    fields.push({
      name: clip(f.label.trim() || '—', LIMITS.fieldName),
      value: escapeClipped(f.value.trim() || '—', LIMITS.fieldValue),
      inline: f.value.length <= 40,
    });
  // <t:…:R> is rendered by each client as "3 minutes ago" and keeps counting without edits.
  fields.push(
    view.tookText
      ? { name: 'Took', value: view.tookText, inline: true }
      : { name: 'Started', value: `<t:${unix(view.startedAt)}:R>`, inline: true },
  );
  if (view.notice)
    fields.push({
      name: view.tone === 'failure' ? 'Why it failed' : 'Note',
      value: escapeClipped(view.notice, LIMITS.fieldValue),
    });
  const results = resultsValue(view.media);
  if (results) fields.push({ name: 'Results', value: results });
  return fields.slice(0, LIMITS.fields);
}

function cardEmbed(view: CardView): APIEmbed {
  const firstImage = view.media.find((m) => m.kind === 'image' && isHttp(m.url));
  const footer = view.expiresAt
    ? `Links expire on ${isoDate(view.expiresAt)}: download what you want to keep`
    : 'kling-bot';
  const embed: APIEmbed = {
    title: clip(`${view.title} · ${view.statusLine}`, LIMITS.title),
    // The prompt is user text: a `[label](url)` in it must read as text, not become a masked link.
    description: escapeClipped(view.prompt || '—', LIMITS.description),
    color: TONE_COLOURS[view.tone],
    fields: cardFields(view),
    footer: { text: clip(footer, LIMITS.footer) },
    ...(firstImage ? { image: { url: firstImage.url } } : {}),
  };
  return fitEmbed(embed);
}

/**
 * Only a pathological view is over 6,000 characters (the core already shortens prompts). Give
 * up detail in order of least harm: prompt length, the results list (the buttons have the links),
 * long field texts, then trailing fields.
 */
function fitEmbed(embed: APIEmbed): APIEmbed {
  const over = () => embedLength(embed) - LIMITS.embedTotal;
  if (over() > 0 && embed.description)
    embed.description = clip(embed.description, Math.max(300, len(embed.description) - over()));
  if (over() > 0) embed.fields = embed.fields?.filter((f) => f.name !== 'Results');
  if (over() > 0)
    embed.fields = embed.fields?.map((f) => ({ ...f, name: clip(f.name, 64), value: clip(f.value, 256) }));
  while (over() > 0 && embed.fields && embed.fields.length > 0) embed.fields = embed.fields.slice(0, -1);
  if (over() > 0 && embed.description) embed.description = clip(embed.description, 100);
  return embed;
}

function cardComponents(view: CardView): Array<APIActionRowComponent<APIButtonComponent>> {
  const actions: APIButtonComponent[] = view.buttons
    .map((b) => ({
      type: ComponentType.Button as const,
      style: BUTTON_STYLES[b.style],
      label: clip(b.label, LIMITS.buttonLabel),
      custom_id: cardButtonId(b.action, view.taskId),
    }))
    .filter((b) => b.custom_id.length <= LIMITS.customId);
  // A private copy of the card (/task) leads to the card itself, where the uploaded copy plays.
  const card = view.cardUrl ? [{ label: 'Go to card', url: view.cardUrl }] : [];
  const links: APIButtonComponent[] = [...card, ...view.media]
    .filter((m) => isHttp(m.url) && m.url.length <= LIMITS.linkUrl)
    .map((m) => ({
      type: ComponentType.Button,
      style: ButtonStyle.Link,
      label: clip(m.label, LIMITS.buttonLabel),
      url: m.url,
    }));
  // Actions keep their own first row; links fill the rows after it.
  const actionRows = rowsOf(actions);
  const linkRoom = (LIMITS.rows - actionRows.length) * LIMITS.buttonsPerRow;
  return [...actionRows, ...rowsOf(links.slice(0, Math.max(0, linkRoom)))];
}

/**
 * The public task card. The first video URL goes in `content`, because bots cannot set an embed
 * video and Discord only unfurls (and plays) links found in the message text.
 */
export function cardMessage(view: CardView): DiscordMessage {
  const video = view.media.find((m) => m.kind === 'video' && isHttp(m.url) && m.url.length <= LIMITS.content);
  return { content: video?.url ?? '', embeds: [cardEmbed(view)], components: cardComponents(view) };
}

/** One line per task; `variant` drops detail until the page fits Discord's limits. */
function listLine(row: TaskListView['rows'][number], variant: number): string {
  const head = `\`${row.taskId}\` · **${row.stateLabel}** · <t:${unix(row.createdAt)}:R> · ${escapeClipped(row.requesterName, 80)}${row.units ? ` · ${row.units}` : ''}`;
  const promptMax = [80, 80, 40, 0][variant] ?? 0;
  const prompt = promptMax > 0 && row.prompt ? `\n${escapeClipped(row.prompt, promptMax)}` : '';
  // The card's message outlives Kling's link (it holds the uploaded copy), so it is kept longer.
  const linkable = (url: string | undefined): url is string => Boolean(url && isHttp(url) && !/[()\s]/.test(url));
  const link =
    variant < 3 && linkable(row.cardUrl)
      ? ` · [card](${row.cardUrl})`
      : variant === 0 && linkable(row.url)
        ? ` · [result](${row.url})`
        : '';
  return `${head}${link}${prompt}`;
}

/** `/tasks`: one embed page plus Prev/Next; the ids carry the query and the owner. */
export function taskListMessage(list: TaskListView): DiscordMessage {
  const footer = clip(`${list.filterText} · ${list.positionText}`, LIMITS.footer);
  let description = list.emptyText;
  for (let variant = 0; variant < 4 && list.rows.length > 0; variant++) {
    description = list.rows.map((r) => listLine(r, variant)).join('\n\n');
    if (len(description) <= LIMITS.description && len(description) + len(list.title) + len(footer) <= LIMITS.embedTotal)
      break;
  }
  const embed: APIEmbed = {
    title: clip(list.title, LIMITS.title),
    description: clip(description, LIMITS.description),
    color: NOTICE_COLOURS.info,
    footer: { text: footer },
  };
  const buttons: APIButtonComponent[] = [];
  if (list.prevId || list.nextId) {
    // A missing end is shown disabled so the buttons don't jump around between pages.
    buttons.push(
      list.prevId
        ? { type: ComponentType.Button, style: ButtonStyle.Secondary, label: '◀ Prev', custom_id: list.prevId }
        : {
            type: ComponentType.Button,
            style: ButtonStyle.Secondary,
            label: '◀ Prev',
            custom_id: DISABLED_PAGE_IDS.prev,
            disabled: true,
          },
      list.nextId
        ? { type: ComponentType.Button, style: ButtonStyle.Secondary, label: 'Next ▶', custom_id: list.nextId }
        : {
            type: ComponentType.Button,
            style: ButtonStyle.Secondary,
            label: 'Next ▶',
            custom_id: DISABLED_PAGE_IDS.next,
            disabled: true,
          },
    );
  }
  return {
    content: '',
    embeds: [embed],
    components: rowsOf(buttons.filter((b) => !('custom_id' in b) || b.custom_id.length <= LIMITS.customId)),
  };
}

export function noticeMessage(view: Extract<PrivateView, { kind: 'notice' }>): DiscordMessage {
  return {
    content: '',
    embeds: [
      {
        title: clip(view.title, LIMITS.title),
        description: clip(view.text, LIMITS.description),
        color: NOTICE_COLOURS[view.tone],
      },
    ],
    components: [],
  };
}

/** Anything shown only to the caller (errors, /task, /tasks, /quota). */
export function privateMessage(view: PrivateView): DiscordMessage {
  switch (view.kind) {
    case 'notice':
      return noticeMessage(view);
    case 'list':
      return taskListMessage(view.list);
    case 'card':
      return cardMessage(view.card);
  }
}
