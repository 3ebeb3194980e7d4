/**
 * The Components V2 card (src/platforms/discord/card-v2.ts): judged by the fake Discord's own
 * validator, written down independently of the renderer (40 components at every level, 4,000
 * characters, gallery 1–10, attachment:// names that the message's files must match).
 */
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { cardMessageV2, type DiscordV2Message } from '../src/platforms/discord/card-v2.js';
import { renderCard } from '../src/render/card.js';
import type { CardView } from '../src/render/view.js';
import { Issues } from './fakes/discord/errors.js';
import { parseMessageBody, walkComponents } from './fakes/discord/validate-message.js';
import { checkAttachmentRefs, validateV2Media } from './fakes/discord/validate-media.js';
import type { JsonObject } from './fakes/discord/json.js';

const T0 = Date.parse('2026-11-26T10:00:00Z');
const VIDEO = 'https://cdn.klingai.example/bs2/7b8a1f0e_raw_video_1.mp4';

/** Accepted by the fake as a new message and as an edit, with `files` as the message's attachments. */
function expectAccepted(m: DiscordV2Message, files: string[] = []): void {
  for (const mode of ['create', 'edit'] as const) {
    const issues = new Issues();
    const input = parseMessageBody(issues, JSON.parse(JSON.stringify(m)), mode);
    const refs = validateV2Media(issues, input.components ?? []);
    checkAttachmentRefs(issues, refs, new Set(files));
    expect(issues.list, `${mode}: ${JSON.stringify(issues.toErrors())}`).toEqual([]);
  }
  expect(m.flags).toBe(1 << 15);
  expect(m).not.toHaveProperty('content');
  expect(m).not.toHaveProperty('embeds');
}

function all(m: DiscordV2Message): JsonObject[] {
  const out: JsonObject[] = [];
  walkComponents(JSON.parse(JSON.stringify(m.components)) as JsonObject[], (c) => out.push(c));
  return out;
}
const gallery = (m: DiscordV2Message) =>
  all(m)
    .filter((c) => c.type === 12)
    .flatMap((c) => (c.items as Array<{ media: { url: string } }>).map((i) => i.media.url));
const linkButtons = (m: DiscordV2Message) =>
  all(m)
    .filter((c) => c.type === 2 && c.style === 5)
    .map((c) => c.url);
const texts = (m: DiscordV2Message) =>
  all(m)
    .filter((c) => c.type === 10)
    .map((c) => String(c.content))
    .join('\n');

function task(over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 'kb3gq5w84tcj0c',
    scope: { platform: 'discord', guildId: '1', channelId: '2', userId: '3', userName: 'alice' },
    request: {
      kind: 'text2video',
      prompt: 'a red fox running through fresh snow at dawn',
      model: 'kling-v1-6',
      mode: 'std',
      duration: '5',
      aspect_ratio: '16:9',
    },
    state: 'succeed',
    klingTaskId: '8422509036366778',
    createdAt: T0,
    updatedAt: T0 + 60_000,
    finishedAt: T0 + 60_000,
    result: { videos: [{ id: 'v1', url: VIDEO, duration: '5.1' }], images: [] },
    ...over,
  };
}

describe('cardMessageV2', () => {
  it('GIVEN a finished video THEN one green container: texts, the video in the gallery, Kling’s link and the buttons', () => {
    const m = cardMessageV2(renderCard(task(), { now: T0 + 61_000 }));
    expectAccepted(m);
    expect(m.components).toHaveLength(1);
    expect(m.components[0]).toMatchObject({ type: 17, accent_color: 0x57f287 });
    expect(gallery(m)).toEqual([VIDEO]);
    expect(linkButtons(m)).toEqual([VIDEO]);
    expect(texts(m)).toContain('Done');
    expect(texts(m)).toContain('a red fox running through fresh snow at dawn');
    expect(texts(m)).toContain('Links expire on 2026-12-26');
    const ids = all(m).flatMap((c) => (typeof c.custom_id === 'string' ? [c.custom_id] : []));
    expect(ids).toEqual([
      'kb:g:kb3gq5w84tcj0c',
      'kb:x:kb3gq5w84tcj0c',
      'kb:e:kb3gq5w84tcj0c',
      'kb:r:kb3gq5w84tcj0c',
      'kb:d:kb3gq5w84tcj0c',
    ]);
  });

  it('GIVEN an uploaded copy THEN the gallery plays the attachment, no link button for it, and the card says until when Extend and Edit work', () => {
    const view = renderCard(task(), { now: T0 + 61_000 });
    const hosted: CardView = {
      ...view,
      media: view.media.map((x) => ({ ...x, hosted: { filename: 'a-red-fox-kb3gq5w84tcj0c.mp4' } })),
    };
    const m = cardMessageV2(hosted);
    expectAccepted(m, ['a-red-fox-kb3gq5w84tcj0c.mp4']);
    expect(gallery(m)).toEqual(['attachment://a-red-fox-kb3gq5w84tcj0c.mp4']);
    expect(linkButtons(m)).toEqual([]);
    expect(texts(m)).toContain('Extend and Edit work until 2026-12-26');
    expect(texts(m)).not.toContain('Links expire');
    // The same body without the file on the message is refused: the name must match.
    const issues = new Issues();
    checkAttachmentRefs(issues, validateV2Media(issues, m.components as unknown as JsonObject[]), new Set());
    expect(issues.list.map((i) => i.code)).toEqual(['UNFURLED_MEDIA_ITEM_ATTACHMENT_NOT_FOUND']);
  });

  it('GIVEN nine images THEN all nine in one gallery; a running card has no gallery and a blue container', () => {
    const images = Array.from({ length: 9 }, (_, i) => ({ index: i, url: `https://cdn.example/img-${i}.png` }));
    const done = task({
      request: { kind: 'image', prompt: 'cats', model: 'kling-v2-1', aspect_ratio: '1:1', n: 9 },
      result: { videos: [], images },
    });
    const m = cardMessageV2(renderCard(done, { now: T0 + 61_000 }));
    expectAccepted(m);
    expect(gallery(m)).toEqual(images.map((i) => i.url));
    const running = cardMessageV2(
      renderCard(task({ state: 'processing', result: undefined, finishedAt: undefined }), { now: T0 + 10_000 }),
    );
    expectAccepted(running);
    expect(gallery(running)).toEqual([]);
    expect(running.components[0]).toMatchObject({ accent_color: 0x5865f2 });
  });

  it('GIVEN a view that ignores every limit THEN still ≤ 40 components, ≤ 4,000 characters, ≤ 10 gallery items', () => {
    const base = renderCard(task(), { now: T0 + 61_000 });
    const monster: CardView = {
      ...base,
      title: 'T'.repeat(400),
      statusLine: 'S'.repeat(400),
      prompt: 'p'.repeat(5000),
      fields: Array.from({ length: 30 }, (_, i) => ({ label: `F${i} ${'n'.repeat(300)}`, value: 'v'.repeat(2000) })),
      notice: 'n'.repeat(3000),
      mediaNote: 'm'.repeat(3000),
      media: Array.from({ length: 40 }, (_, i) => ({
        url: `https://cdn.example.com/${i}/${'x'.repeat(100)}.mp4`,
        label: `Video ${i} ${'l'.repeat(100)}`,
        kind: 'video' as const,
      })),
    };
    const m = cardMessageV2(monster);
    expectAccepted(m);
    expect(all(m).length).toBeLessThanOrEqual(40);
    expect([...texts(m).replace(/\n/g, '')].length).toBeLessThanOrEqual(4000);
    expect(gallery(m)).toHaveLength(10);
  });
});
