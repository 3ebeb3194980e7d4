import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  ContainerBuilder,
  MediaGalleryBuilder,
  MediaGalleryItemBuilder,
  MessageFlags,
  SeparatorBuilder,
  TextDisplayBuilder,
  type APIMessageTopLevelComponent,
} from 'discord.js';
import { cardButtonId } from '../../interaction-ids.js';
import { isoDate } from '../../render/format.js';
import { klingCopyUntil } from '../../render/follow-ups.js';
import type { CardView } from '../../render/view.js';
import { clip, escapeClipped } from './markdown.js';
import { LIMITS, TONE_COLOURS } from './render.js';

/**
 * Components V2 limits (docs/sources.md, "Discord Components V2 limits"): 40 components counted through every
 * level, 4,000 characters of text in all, a gallery of 1–10 items.
 */
export const V2_LIMITS = { components: 40, text: 4000, galleryItems: 10 } as const;

/** A V2 body: the flag and components only; `content` and `embeds` are refused with it. */
export interface DiscordV2Message {
  flags: number;
  components: APIMessageTopLevelComponent[];
}

const BUTTON_STYLES = {
  primary: ButtonStyle.Primary,
  secondary: ButtonStyle.Secondary,
  danger: ButtonStyle.Danger,
} as const;

const unix = (ms: number) => Math.floor(ms / 1000);
const isHttp = (url: string) => /^https?:\/\//i.test(url);
const len = (s: string) => [...s].length;

/** Where the gallery finds a result: the uploaded attachment, else Kling's own link. */
export function mediaSource(m: CardView['media'][number]): string | undefined {
  if (m.hosted) return `attachment://${m.hosted.filename}`;
  return isHttp(m.url) && m.url.length <= 2048 ? m.url : undefined;
}

function detailsText(view: CardView): string {
  const lines: string[] = [];
  if (view.progress) {
    const p = view.progress;
    lines.push(`${p.bar} ${p.percent}%${p.estimated ? ' (estimate)' : ''}`);
  }
  // Field values carry user text (the requester's name) and Kling's: shown as typed, never as markdown.
  for (const f of view.fields) lines.push(`**${escapeClipped(f.label, 64)}:** ${escapeClipped(f.value || '—', 400)}`);
  // <t:…:R> is rendered by each client as "3 minutes ago" and keeps counting without edits.
  lines.push(view.tookText ? `**Took:** ${view.tookText}` : `**Started:** <t:${unix(view.startedAt)}:R>`);
  if (view.notice)
    lines.push(`**${view.tone === 'failure' ? 'Why it failed' : 'Note'}:** ${escapeClipped(view.notice, 600)}`);
  // The gallery's items say nothing on screen: name what it holds.
  if (view.media.length > 0) lines.push(`**Results:** ${clip(view.media.map((m) => m.label).join(' · '), 300)}`);
  return lines.join('\n');
}

/** The small print under the gallery: where the copy is, and until when Kling's copy (Extend, Edit) lives. */
function footerText(view: CardView): string {
  const parts: string[] = [];
  if (view.mediaNote) parts.push(view.mediaNote);
  if (view.expiresAt) {
    const hosted = view.media.some((m) => m.hosted);
    const date = isoDate(view.expiresAt);
    parts.push(
      hosted
        ? `${klingCopyUntil(view.buttons)} ${date} (Kling keeps its own copy until then).`
        : `Links expire on ${date}: download what you want to keep.`,
    );
  }
  return parts.map((p) => `-# ${p}`).join('\n');
}

function actionButtons(view: CardView): ButtonBuilder[] {
  return view.buttons
    .map((b) => ({ b, id: cardButtonId(b.action, view.taskId) }))
    .filter(({ id }) => id.length <= LIMITS.customId)
    .map(({ b, id }) =>
      new ButtonBuilder().setStyle(BUTTON_STYLES[b.style]).setLabel(clip(b.label, LIMITS.buttonLabel)).setCustomId(id),
    );
}

/** Link buttons to Kling's copies, for results that were not uploaded (an uploaded one plays on the card). */
function linkButtons(view: CardView): ButtonBuilder[] {
  return view.media
    .filter((m) => !m.hosted && isHttp(m.url) && m.url.length <= LIMITS.linkUrl)
    .map((m) =>
      new ButtonBuilder().setStyle(ButtonStyle.Link).setLabel(clip(m.label, LIMITS.buttonLabel)).setURL(m.url),
    );
}

function rows(buttons: ButtonBuilder[], maxRows: number): Array<ActionRowBuilder<ButtonBuilder>> {
  const out: Array<ActionRowBuilder<ButtonBuilder>> = [];
  for (let i = 0; i < buttons.length && out.length < maxRows; i += LIMITS.buttonsPerRow)
    out.push(new ActionRowBuilder<ButtonBuilder>().addComponents(buttons.slice(i, i + LIMITS.buttonsPerRow)));
  return out;
}

/**
 * The task card as a Components V2 message: one container in the state's colour, with text
 * displays, a media gallery that plays the video (or shows an /image task's images) inline, and
 * the buttons. Built with discord.js's builders, which check each part as they serialise it.
 */
export function cardMessageV2(view: CardView): DiscordV2Message {
  // 4,000 characters in all: header ≤ 204, details ≤ 2,000, footer ≤ 600, the prompt what is left.
  const header = `### ${escapeClipped(`${view.title} · ${view.statusLine}`, 200)}`;
  const details = clip(detailsText(view), 2000);
  const footer = clip(footerText(view), 600);
  const room = V2_LIMITS.text - len(header) - len(details) - len(footer) - 1;
  const prompt = escapeClipped(view.prompt || '—', Math.min(room, 2000));

  // The colour is one of our constants, so it is given as data: setAccentColor's check (a union of a number and a
  // tuple) builds and throws away a validation error on every call, ~20 us of each card's ~35 us under a burst.
  const container = new ContainerBuilder({ accent_color: TONE_COLOURS[view.tone] });
  container.addTextDisplayComponents(new TextDisplayBuilder().setContent(`${header}\n${prompt}`));
  container.addTextDisplayComponents(new TextDisplayBuilder().setContent(details));
  let count = 3; // the container and its two texts
  const items = view.media
    .map((m) => ({ m, url: mediaSource(m) }))
    .filter((x): x is { m: CardView['media'][number]; url: string } => x.url !== undefined)
    .slice(0, V2_LIMITS.galleryItems);
  if (items.length > 0) {
    container.addMediaGalleryComponents(
      new MediaGalleryBuilder().addItems(
        items.map(({ m, url }) => new MediaGalleryItemBuilder().setURL(url).setDescription(clip(m.label, 1024))),
      ),
    );
    count++;
  }
  if (footer) {
    container.addSeparatorComponents(new SeparatorBuilder());
    container.addTextDisplayComponents(new TextDisplayBuilder().setContent(footer));
    count += 2;
  }
  // Actions keep their own first row; link buttons fill what the 40 components leave, as whole rows.
  const actionRows = rows(actionButtons(view), LIMITS.rows);
  count += actionRows.reduce((n, r) => n + 1 + r.components.length, 0);
  const links = linkButtons(view);
  const linkRows: Array<ActionRowBuilder<ButtonBuilder>> = [];
  for (const row of rows(links, LIMITS.rows - actionRows.length)) {
    if (count + 1 + row.components.length > V2_LIMITS.components) break;
    linkRows.push(row);
    count += 1 + row.components.length;
  }
  const allRows = [...actionRows, ...linkRows];
  if (allRows.length > 0) container.addActionRowComponents(allRows);
  return { flags: MessageFlags.IsComponentsV2, components: [container.toJSON()] };
}

/** Counts components the way Discord does for the 40 limit: every level, accessories included. */
export function countComponents(components: readonly unknown[]): number {
  let n = 0;
  const walk = (c: unknown): void => {
    if (!c || typeof c !== 'object') return;
    n++;
    const o = c as { components?: unknown; accessory?: unknown };
    if (Array.isArray(o.components)) o.components.forEach(walk);
    if (o.accessory) walk(o.accessory);
  };
  components.forEach(walk);
  return n;
}
