/**
 * The pure Discord renderers: realistic views in, payloads Discord accepts out (every limit of
 * https://discord.com/developers/docs/resources/message checked on every payload).
 */
import { ButtonStyle, type APIButtonComponent } from 'discord.js';
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { renderCard } from '../src/render/card.js';
import { renderTaskList } from '../src/render/task-list.js';
import type { CardView, TaskListView } from '../src/render/view.js';
import {
  cardMessage,
  noticeMessage,
  privateMessage,
  taskListMessage,
  type DiscordMessage,
} from '../src/platforms/discord/render.js';
import { cardLinkOf } from '../src/platforms/discord/handles.js';
import { Issues } from './fakes/discord/errors.js';
import { parseMessageBody } from './fakes/discord/validate-message.js';

const T0 = Date.parse('2026-11-26T10:00:00Z');
const chars = (s: string | undefined) => [...(s ?? '')].length;

/**
 * The body is one Discord accepts, judged by the fake Discord's validator (Discord's limits, written
 * down independently of the renderer's own LIMITS), both as a new message and as an edit.
 */
function expectWithinLimits(m: DiscordMessage): void {
  for (const mode of ['create', 'edit'] as const) {
    const issues = new Issues();
    parseMessageBody(issues, JSON.parse(JSON.stringify(m)), mode);
    expect(issues.list, `${mode}: ${JSON.stringify(issues.toErrors())}`).toEqual([]);
  }
  // An empty body is refused as well (50006), which the field checks above do not see.
  expect(chars(m.content) > 0 || m.embeds.length > 0 || m.components.length > 0).toBe(true);
}

const buttons = (m: DiscordMessage): APIButtonComponent[] => m.components.flatMap((r) => r.components);
const links = (m: DiscordMessage) => buttons(m).flatMap((b) => (b.style === ButtonStyle.Link ? [b.url] : []));
const customIds = (m: DiscordMessage) =>
  buttons(m).flatMap((b) => (b.style !== ButtonStyle.Link && b.style !== ButtonStyle.Premium ? [b.custom_id] : []));

function task(over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 'kb3gq5w84tcj0c',
    scope: {
      platform: 'discord',
      guildId: '1070131367116935170',
      channelId: '1070493754982535172',
      userId: '1085866582048505856',
      userName: 'alice',
    },
    request: {
      kind: 'text2video',
      prompt: 'a red fox running through fresh snow at dawn, cinematic, 35mm',
      model: 'kling-v1-6',
      mode: 'std',
      duration: '5',
      aspect_ratio: '16:9',
    },
    state: 'processing',
    klingTaskId: '8422509036366778',
    createdAt: T0,
    updatedAt: T0 + 20_000,
    submittedAt: T0 + 1000,
    processingAt: T0 + 5000,
    ...over,
  };
}

const VIDEO_URL =
  'https://v15-kling.klingai.com/bs2/upload-ylab-stunt-sgp/se/stream_lake_m2v_img2video_v16/7b8a1f0e-3c2d-4e5f-9a6b-1c2d3e4f5a6b_raw_video_1.mp4?x-kcdn-pid=112452';

describe('cardMessage', () => {
  it('GIVEN a processing task THEN status in the title, prompt as description, progress, a live relative time and Refresh', () => {
    const view = renderCard(task(), { now: T0 + 30_000, typicalMs: 100_000 });
    const m = cardMessage(view);
    expectWithinLimits(m);
    const e = m.embeds[0];
    expect(view.progress?.estimated).toBe(true);
    expect(e?.title).toBe(`🎬 Text to video · ${view.statusLine}`);
    expect(e?.title).toMatch(/Processing · \d+% \(estimate\)$/);
    expect(e?.description).toBe(view.prompt);
    expect(e?.color).toBe(0x5865f2);
    const fields = Object.fromEntries((e?.fields ?? []).map((f) => [f.name, f.value]));
    expect(fields['Progress']).toBe(`${view.progress?.bar} ${view.progress?.percent}% (estimate)`);
    expect(fields['Started']).toBe(`<t:${T0 / 1000}:R>`);
    expect(fields['Requested by']).toBe('alice');
    expect(fields['Task']).toContain('kb3gq5w84tcj0c');
    expect(fields['Options']).toContain('Kling 1.6');
    expect(m.content).toBe('');
    expect(customIds(m)).toEqual(['kb:r:kb3gq5w84tcj0c']);
    expect(links(m)).toEqual([]);
  });

  it('GIVEN a finished video THEN its URL is the content (inline player) and a link button; Regenerate/Refresh/Delete; expiry in the footer', () => {
    const done = task({
      state: 'succeed',
      finishedAt: T0 + 95_000,
      credits: '1',
      result: { videos: [{ id: 'v1', url: VIDEO_URL, duration: '5.1' }], images: [] },
    });
    const m = cardMessage(renderCard(done, { now: T0 + 96_000 }));
    expectWithinLimits(m);
    expect(m.content).toBe(VIDEO_URL);
    expect(links(m)).toEqual([VIDEO_URL]);
    expect(customIds(m)).toEqual([
      'kb:g:kb3gq5w84tcj0c',
      'kb:x:kb3gq5w84tcj0c',
      'kb:e:kb3gq5w84tcj0c',
      'kb:r:kb3gq5w84tcj0c',
      'kb:d:kb3gq5w84tcj0c',
    ]);
    const e = m.embeds[0];
    expect(e?.color).toBe(0x57f287);
    expect(e?.footer?.text).toContain('2026-12-26');
    expect(e?.fields?.find((f) => f.name === 'Took')?.value).toBe('1m 35s');
    expect(e?.fields?.find((f) => f.name === 'Started')).toBeUndefined();
    expect(buttons(m).find((b) => b.style === ButtonStyle.Link)).toMatchObject({ label: 'Video (5.1s)' });
  });

  it('GIVEN a failed task THEN the reason, the failure colour and Regenerate', () => {
    const failed = task({
      state: 'failed',
      finishedAt: T0 + 40_000,
      statusMsg: 'Failure to pass the risk control system',
    });
    const m = cardMessage(renderCard(failed, { now: T0 + 41_000 }));
    expectWithinLimits(m);
    expect(m.embeds[0]?.color).toBe(0xed4245);
    expect(m.embeds[0]?.fields?.find((f) => f.name === 'Why it failed')?.value.length).toBeGreaterThan(10);
    expect(customIds(m)).toContain('kb:g:kb3gq5w84tcj0c');
  });

  it('GIVEN 9 images THEN the first is the embed image and each gets a link button, in rows of at most 5', () => {
    const urls = Array.from(
      { length: 9 },
      (_, i) => `https://p1-kling.klingai.com/kcdn/cdn-kcdn112452/kling-qa-test/image-${i}-${'a'.repeat(80)}.png`,
    );
    const img = task({
      request: {
        kind: 'image',
        prompt: 'nine variations of a lighthouse',
        model: 'kling-v2',
        aspect_ratio: '1:1',
        n: 9,
      },
      state: 'succeed',
      finishedAt: T0 + 30_000,
      result: { videos: [], images: urls.map((url, index) => ({ index, url })) },
    });
    const m = cardMessage(renderCard(img, { now: T0 + 31_000 }));
    expectWithinLimits(m);
    expect(m.content).toBe('');
    expect(m.embeds[0]?.image?.url).toBe(urls[0]);
    expect(links(m)).toEqual(urls);
    expect(m.components.map((r) => r.components.length)).toEqual([3, 5, 4]);
  });

  it('GIVEN a 2,500-character prompt (and worse) THEN every limit still holds', () => {
    const prompt = `${'a very detailed description of a scene, '.repeat(63)}end`.slice(0, 2500);
    expect(prompt).toHaveLength(2500);
    const base = renderCard(
      task({
        request: {
          kind: 'text2video',
          prompt,
          model: 'kling-v1-6',
          mode: 'pro',
          duration: '10',
          aspect_ratio: '9:16',
          negative_prompt: 'blur',
        },
      }),
      { now: T0 },
    );
    expectWithinLimits(cardMessage(base));
    // Views are the core's business; the renderer still survives one that ignores every limit.
    const monster: CardView = {
      ...base,
      title: 'T'.repeat(400),
      statusLine: 'S'.repeat(400),
      prompt: `${prompt}${prompt}${prompt}`,
      fields: Array.from({ length: 30 }, (_, i) => ({
        label: `Field ${i} ${'n'.repeat(300)}`,
        value: 'v'.repeat(2000),
      })),
      notice: 'n'.repeat(3000),
      media: Array.from({ length: 40 }, (_, i) => ({
        url: `https://cdn.example.com/${i}/${'x'.repeat(i % 2 ? 600 : 100)}.mp4`,
        label: `Video ${i} ${'l'.repeat(100)}`,
        kind: 'video' as const,
      })),
    };
    const m = cardMessage(monster);
    expectWithinLimits(m);
    expect(links(m).every((u) => u.length <= 512)).toBe(true);
  });

  it('GIVEN a video URL too long for a button or for the content THEN it is left out of those, not sent broken', () => {
    const long = `https://cdn.example.com/${'x'.repeat(2100)}.mp4`;
    const m = cardMessage({
      ...renderCard(task({ state: 'succeed', finishedAt: T0 + 1000 }), { now: T0 }),
      media: [{ url: long, label: 'Video', kind: 'video' }],
    });
    expectWithinLimits(m);
    expect(m.content).toBe('');
    expect(links(m)).toEqual([]);
  });
});

describe('user text on Discord is shown as typed', () => {
  const EVIL = '[✅ Download](https://evil.example)';
  /** Discord's masked-link syntax, unescaped: `[label](url)` with no backslash before either bracket. */
  const maskedLink = /(?<!\\)\[[^\]]*(?<!\\)\]\(/;

  it('GIVEN a prompt and a display name holding a masked link, a mention and a heading THEN the card has no live markdown in them', () => {
    const rec = task({
      scope: { platform: 'discord', guildId: '1', channelId: '2', userId: '3', userName: `**Admin** ${EVIL} <@&1234>` },
      request: {
        kind: 'text2video',
        prompt: `# FREE ${EVIL} ||spoiler|| <t:1:R> _x_`,
        model: 'kling-v1-6',
        mode: 'std',
        duration: '5',
        aspect_ratio: '16:9',
      },
    });
    const m = cardMessage(renderCard(rec, { now: T0 + 30_000 }));
    expectWithinLimits(m);
    const embed = m.embeds[0];
    const texts = [
      embed?.description ?? '',
      ...(embed?.fields ?? []).filter((f) => f.name !== 'Started').map((f) => f.value),
    ];
    for (const t of texts) {
      expect(t, t).not.toMatch(maskedLink);
      expect(t).not.toMatch(/(?<!\\)<[@#t]/);
      expect(t).not.toMatch(/(?<!\\)\|\|/);
    }
    // The bare URL stays as typed (a visible link, and a backslash inside a URL would break it).
    expect(embed?.description).toBe(
      '\\# FREE \\[✅ Download\\]\\(https://evil.example) \\|\\|spoiler\\|\\| \\<t:1:R\\> \\_x\\_',
    );
    expect(embed?.fields?.find((f) => f.name === 'Requested by')?.value).toBe(
      '\\*\\*Admin\\*\\* \\[✅ Download\\]\\(https://evil.example) \\<@&1234\\>',
    );
    // Nothing the bot writes itself lost its meaning.
    expect(m.components.flatMap((r) => r.components).some((b) => 'url' in b && b.url.includes('evil'))).toBe(false);
  });

  it('GIVEN a Kling failure text with markdown THEN it is escaped too', () => {
    const m = cardMessage(
      renderCard(task({ state: 'failed', statusMsg: `see ${EVIL}`, finishedAt: T0 + 60_000 }), { now: T0 + 60_000 }),
    );
    for (const f of m.embeds[0]?.fields ?? []) expect(f.value).not.toMatch(maskedLink);
  });

  it('GIVEN /tasks rows with a masked link in the prompt and the name THEN each line shows it as text', () => {
    const items = [
      task({
        scope: { platform: 'discord', guildId: '1', channelId: '2', userId: '3', userName: EVIL },
        request: {
          kind: 'text2video',
          prompt: EVIL,
          model: 'kling-v1-6',
          mode: 'std',
          duration: '5',
          aspect_ratio: '16:9',
        },
      }),
    ];
    const m = taskListMessage(
      renderTaskList(
        { items, total: 1, page: 1, pageCount: 1 },
        { owner: '3', page: 1, pageSize: 10, scope: 'channel' },
      ),
    );
    expectWithinLimits(m);
    const d = m.embeds[0]?.description ?? '';
    expect(d).not.toMatch(maskedLink);
    expect(d).toContain('\\[✅ Download\\]\\(https://evil.example)');
  });

  it('GIVEN a bare link in user text (or the Extends field) THEN it is left whole, underscores and all', () => {
    const url = 'https://v15-kling.klingai.com/bs2/upload_ylab/7b8a_raw_video_1.mp4?x=(1)';
    const rec = task({
      request: {
        kind: 'text2video',
        prompt: `see ${url} _now_`,
        model: 'kling-v1-6',
        mode: 'std',
        duration: '5',
        aspect_ratio: '16:9',
      },
    });
    expect(cardMessage(renderCard(rec, { now: T0 })).embeds[0]?.description).toBe(`see ${url} \\_now\\_`);
  });

  it('GIVEN a cut that lands on an escape THEN no dangling backslash escapes the ellipsis', () => {
    const rec = task({
      request: {
        kind: 'text2video',
        prompt: '*'.repeat(2400),
        model: 'kling-v1-6',
        mode: 'std',
        duration: '5',
        aspect_ratio: '16:9',
      },
    });
    const d = cardMessage(renderCard(rec, { now: T0 })).embeds[0]?.description ?? '';
    expect(d.endsWith('…')).toBe(true);
    expect(/(\\+)…$/.exec(d)?.[1]?.length ?? 0).toBe(0);
  });
});

describe('taskListMessage', () => {
  const page = (n: number, withUrls: boolean) => ({
    items: Array.from({ length: n }, (_, i) =>
      task({
        id: `kb${String(i).padStart(12, '0')}`,
        request: {
          kind: 'text2video',
          prompt: `${'prompt text '.repeat(30)} ${i}`,
          model: 'kling-v1-6',
          mode: 'std',
          duration: '5',
          aspect_ratio: '16:9',
        },
        state: 'succeed',
        ...(withUrls ? { result: { videos: [{ id: 'v', url: `${VIDEO_URL}&n=${i}` }], images: [] } } : {}),
        createdAt: T0 - i * 60_000,
      }),
    ),
    total: 60,
    page: 2,
    pageCount: 3,
  });

  it('GIVEN a full page of 25 with long links THEN it fits one embed, with Prev and Next carrying the query', () => {
    const list = renderTaskList(page(25, true), {
      owner: '1085866582048505856',
      page: 2,
      pageSize: 25,
      scope: 'channel',
    });
    const m = taskListMessage(list);
    expectWithinLimits(m);
    const text = m.embeds[0]?.description ?? '';
    for (const row of list.rows) expect(text).toContain(row.taskId);
    expect(m.embeds[0]?.footer?.text).toBe('this channel · page 2 of 3 · 60 tasks');
    expect(customIds(m)).toEqual([list.prevId, list.nextId]);
  });

  it('GIVEN the first page THEN Prev is shown disabled; an empty result shows its text and no buttons', () => {
    const first: TaskListView = {
      ...renderTaskList(page(3, false), { owner: '1', page: 1, pageSize: 3, scope: 'mine' }),
    };
    const m = taskListMessage({ ...first, prevId: undefined, nextId: 'kb:p:1:2:3:m::::' });
    expect(buttons(m)).toHaveLength(2);
    expect(buttons(m)[0]).toMatchObject({ disabled: true });
    const empty = taskListMessage(
      renderTaskList(
        { items: [], total: 0, page: 1, pageCount: 0 },
        { owner: '1', page: 1, pageSize: 10, scope: 'channel' },
      ),
    );
    expect(empty.embeds[0]?.description).toBe('No tasks match.');
    expect(empty.components).toEqual([]);
  });
});

describe('notices', () => {
  it('GIVEN an error notice THEN a red embed with its title and text', () => {
    const m = noticeMessage({
      kind: 'notice',
      tone: 'error',
      title: 'Not done',
      text: '/video: **prompt**: is required. Nothing was sent to Kling.',
    });
    expectWithinLimits(m);
    expect(m.embeds[0]).toMatchObject({ title: 'Not done', color: 0xed4245 });
    expect(privateMessage({ kind: 'notice', tone: 'info', title: 'Your limits', text: 'x' }).embeds[0]?.color).toBe(
      0x5865f2,
    );
  });
});

describe('cardLinkOf (/task and /tasks lead to the card)', () => {
  const base = { applicationId: '1', guildId: '200', channelId: '300' };
  it('GIVEN a card Discord has named THEN its message link; in a DM under @me', () => {
    expect(cardLinkOf({ ...base, messageId: '400' })).toBe('https://discord.com/channels/200/300/400');
    expect(cardLinkOf({ ...base, guildId: '', messageId: '400' })).toBe('https://discord.com/channels/@me/300/400');
  });
  it('GIVEN no message id yet, or no Discord handle THEN no link', () => {
    expect(cardLinkOf(base)).toBeUndefined();
    expect(cardLinkOf({ channel: 'C1', ts: '1.2' })).toBeUndefined();
    expect(cardLinkOf(undefined)).toBeUndefined();
  });
});
