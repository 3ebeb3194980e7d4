import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands, commandByName } from '../commands/index.js';
import type { TaskRecord } from '../src/domain.js';
import { cardButtonId, pageButtonId } from '../src/interaction-ids.js';
import { renderCard } from '../src/render/card.js';
import { notices } from '../src/render/notices.js';
import { renderTaskList } from '../src/render/task-list.js';
import type { CardView, TaskListView } from '../src/render/view.js';
import {
  ACTION_IDS,
  blocksTextLength,
  cardMessage,
  noticeMessage,
  plainCardMessage,
  privateMessage,
  taskListMessage,
  type SlackMessage,
} from '../src/platforms/slack/blocks.js';
import { rawFromText } from '../commands/prepare.js';
import { escapeClamped, plainFromSlack } from '../src/platforms/slack/mrkdwn.js';
import { blockTexts, findButtons, validateBlocks, type JsonObject } from './fakes/slack/index.js';
import { REPO_ROOT } from './helpers/slack-harness.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');

function record(over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 'kb0a1b2c3d4e5f',
    scope: { platform: 'slack', guildId: 'T0ACME', channelId: 'C0GENERAL', userId: 'U0ALICE', userName: 'alice' },
    request: {
      kind: 'text2video',
      prompt: 'a corgi surfing a huge wave at golden hour, cinematic',
      model: 'kling-v1-6',
      mode: 'pro',
      duration: '10',
      aspect_ratio: '9:16',
    },
    state: 'processing',
    klingTaskId: '8422509036291234',
    createdAt: NOW - 95_000,
    updatedAt: NOW - 5_000,
    submittedAt: NOW - 94_000,
    processingAt: NOW - 60_000,
    ...over,
  };
}

/** The blocks as JSON, checked by the same validator the fake Slack applies to every message. */
function valid(message: SlackMessage): JsonObject[] {
  const json: unknown = JSON.parse(JSON.stringify(message.blocks));
  const check = validateBlocks(json);
  if (!check.ok) throw new Error(`${check.error}: ${check.messages.join('; ')}`);
  expect(check.totalText).toBeLessThanOrEqual(13_000);
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(40_000);
  return check.blocks;
}

const allText = (blocks: JsonObject[]) => blockTexts(blocks).join('\n');

describe('Slack card blocks', () => {
  it('GIVEN a processing task with an estimate THEN status, bar, prompt, fields, live elapsed time and a Refresh button', () => {
    const view = renderCard(record(), { now: NOW, typicalMs: 120_000 });
    const message = cardMessage(view);
    const blocks = valid(message);
    const text = allText(blocks);
    expect(blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: '🎬 Text to video' } });
    expect(text).toContain(`*${view.statusLine}*`);
    expect(text).toContain(view.progress?.bar ?? 'no bar');
    expect(text).toContain('>a corgi surfing a huge wave');
    expect(text).toContain('Kling 1.6 · pro · 10s · 9:16');
    expect(text).toContain('<@U0ALICE>');
    expect(text).toContain('kb0a1b2c3d4e5f · Kling 8422509036291234');
    expect(text).toMatch(new RegExp(`<!date\\^${Math.floor(view.startedAt / 1000)}\\^\\{ago\\}\\|[^>]+>`));
    const buttons = findButtons(blocks);
    expect(buttons.map((b) => [b.actionId, b.value])).toEqual([
      [ACTION_IDS.refresh, cardButtonId('refresh', 'kb0a1b2c3d4e5f')],
    ]);
    expect(message.text).toBe(escapeClamped(view.fallbackText, 3000));
  });

  it('GIVEN a video whose copy is on its way to the thread THEN the card says so, keeps its link, and says it is there only once it is', () => {
    const url = 'https://cdn.klingai.com/bs2/upload-kling-api/123/output.mp4';
    const rec = record({
      state: 'succeed',
      finishedAt: NOW - 1000,
      result: { videos: [{ id: 'v1', url, duration: '10.1' }], images: [] },
    });
    const view = renderCard(rec, { now: NOW });
    const withCopy = (hosted: NonNullable<CardView['media'][number]['hosted']>): CardView => ({
      ...view,
      media: view.media.map((m) => ({ ...m, hosted })),
    });
    const uploading = valid(cardMessage(withCopy({ filename: 'a.mp4', uploading: true })));
    expect(allText(uploading)).toContain(`<${url}|Video (10.1s)>: uploading a copy to this card's thread…`);
    expect(allText(uploading)).not.toContain("in this card's thread");
    expect(allText(uploading)).toContain('Links expire');
    expect(findButtons(uploading)[0]?.url).toBe(url);
    const there = valid(cardMessage(withCopy({ filename: 'a.mp4' })));
    expect(allText(there)).toContain("Video (10.1s): in this card's thread");
    expect(allText(there)).not.toContain('uploading');
    expect(allText(there)).not.toContain('Links expire');
    expect(findButtons(there).some((b) => b.url === url)).toBe(false);
  });

  it('GIVEN a finished video THEN a link button per video, Regenerate/Refresh/Delete, took time, credits and expiry', () => {
    const url = 'https://cdn.klingai.com/bs2/upload-kling-api/123/output.mp4?x-oss-process=a&b=c';
    const rec = record({
      state: 'succeed',
      finishedAt: NOW - 1000,
      credits: '2',
      result: { videos: [{ id: 'v1', url, duration: '10.1' }], images: [] },
    });
    const view = renderCard(rec, { now: NOW });
    const blocks = valid(cardMessage(view));
    const buttons = findButtons(blocks);
    expect(buttons.map((b) => b.actionId)).toEqual([
      `${ACTION_IDS.openPrefix}0`,
      ACTION_IDS.regenerate,
      ACTION_IDS.extend,
      ACTION_IDS.edit,
      ACTION_IDS.refresh,
      ACTION_IDS.delete,
    ]);
    expect(buttons[0]?.url).toBe(url);
    expect(buttons.slice(1).map((b) => b.value)).toEqual(
      ['regenerate', 'extend', 'edit', 'refresh', 'delete'].map((a) => cardButtonId(a as 'refresh', rec.id)),
    );
    const text = allText(blocks);
    // In mrkdwn the link's & is escaped, as Slack expects.
    expect(text).toContain(`<${url.replace('&', '&amp;')}|Video (10.1s)>`);
    expect(text).toContain(`Took ${view.tookText}`);
    expect(text).toContain('*Credits*\n2');
    expect(text).toMatch(/Links expire <!date\^\d+\^\{date_short_pretty\}\|2026-12-26>/);
  });

  it('GIVEN a failed task THEN the reason is shown and Regenerate is offered', () => {
    const rec = record({ state: 'failed', statusMsg: 'Failure to pass the risk control system', finishedAt: NOW });
    const view = renderCard(rec, { now: NOW });
    const blocks = valid(cardMessage(view));
    expect(allText(blocks)).toContain(`:x: ${view.notice ?? 'no notice'}`);
    expect(findButtons(blocks).map((b) => b.actionId)).toContain(ACTION_IDS.regenerate);
  });

  it('GIVEN user text with Slack control characters THEN it is escaped everywhere (no @channel ping, no fake links)', () => {
    const rec = record({
      request: {
        kind: 'text2video',
        prompt: '<!channel> look & <https://evil.example|click> <@U0BOSS>',
        model: 'kling-v1-6',
        mode: 'std',
        duration: '5',
        aspect_ratio: '16:9',
      },
    });
    const message = cardMessage(renderCard(rec, { now: NOW }));
    const json = JSON.stringify(valid(message)) + message.text;
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<https://evil');
    expect(json).not.toContain('<@U0BOSS>');
    expect(json).toContain('&lt;!channel&gt; look &amp; &lt;https://evil.example|click&gt;');
  });

  it('GIVEN a display name and a /tasks row with a planted link THEN they are escaped too (Slack has no [label](url) syntax, only <url|label>)', () => {
    const rec = record({
      scope: {
        platform: 'slack',
        guildId: 'T0ACME',
        channelId: 'C0GENERAL',
        userId: 'not-a-slack-id',
        userName: '<https://evil.example|✅ Download>',
      },
    });
    const card = JSON.stringify(valid(cardMessage(renderCard(rec, { now: NOW }))));
    expect(card).not.toContain('<https://evil');
    expect(card).toContain('&lt;https://evil.example|✅ Download&gt;');
    const list = taskListMessage(
      renderTaskList(
        {
          items: [
            {
              ...rec,
              request: {
                ...rec.request,
                kind: 'text2video',
                prompt: '<https://evil.example|✅ Download>',
              } as typeof rec.request,
            },
          ],
          total: 1,
          page: 1,
          pageCount: 1,
        },
        { owner: 'U0ALICE', page: 1, pageSize: 10, scope: 'channel' },
      ),
    );
    expect(JSON.stringify(list)).not.toContain('<https://evil');
  });

  it('GIVEN the longest prompt (2,500 characters, unshortened, full of characters that escaping grows) THEN the card stays within limits', () => {
    const base = renderCard(record(), { now: NOW, typicalMs: 120_000 });
    const prompt = '<&>'.repeat(834).slice(0, 2500);
    const view: CardView = { ...base, prompt, fallbackText: `${base.title}\n${prompt}` };
    const blocks = valid(cardMessage(view));
    const promptSection = blocks.find((b) => JSON.stringify(b).includes('&lt;&amp;&gt;'));
    expect(promptSection).toBeDefined();
    expect(allText(blocks)).toContain('…');
    // And the core's own shortening path (2,500 characters in the request).
    const long = record({
      request: {
        kind: 'text2video',
        prompt: 'word '.repeat(500).trim(),
        model: 'kling-v1-6',
        mode: 'std',
        duration: '5',
        aspect_ratio: '16:9',
      },
    });
    valid(cardMessage(renderCard(long, { now: NOW })));
  });

  it('GIVEN the largest result (9 images) THEN every image is linked', () => {
    const images = Array.from({ length: 9 }, (_, index) => ({
      index,
      url: `https://cdn.klingai.com/images/kb0a1b2c3d4e5f-${index}.png`,
    }));
    const rec = record({
      request: {
        kind: 'image',
        prompt: 'a lighthouse at dawn, watercolor',
        model: 'kling-v2',
        aspect_ratio: '16:9',
        n: 9,
      },
      state: 'succeed',
      finishedAt: NOW,
      result: { videos: [], images },
    });
    const blocks = valid(cardMessage(renderCard(rec, { now: NOW })));
    const text = allText(blocks);
    for (const [i, img] of images.entries()) expect(text).toContain(`<${img.url}|Image ${i + 1}>`);
    // Images get links, not one button each.
    expect(findButtons(blocks).filter((b) => b.url)).toHaveLength(0);
  });

  it('GIVEN 9 images with 2,000-character signed URLs and a 2,500-character prompt THEN the card still fits, pointing at /task for the rest', () => {
    const images = Array.from({ length: 9 }, (_, index) => ({
      index,
      url: `https://cdn.example.com/${index}/${'s'.repeat(2000)}.png`,
    }));
    const rec = record({
      request: { kind: 'image', prompt: 'p'.repeat(2500), model: 'kling-v2', aspect_ratio: '1:1', n: 9 },
      state: 'succeed',
      finishedAt: NOW,
      result: { videos: [], images },
    });
    const base = renderCard(rec, { now: NOW });
    const blocks = valid(cardMessage({ ...base, prompt: 'p'.repeat(2500) }));
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(allText(blocks)).toContain('/task kb0a1b2c3d4e5f');
  });

  it('GIVEN many videos with long URLs THEN link buttons are capped and within the actions limit', () => {
    const videos = Array.from({ length: 12 }, (_, i) => ({
      id: `v${i}`,
      url: `https://cdn.example.com/v${i}.mp4`,
      duration: '5.1',
    }));
    const blocks = valid(
      cardMessage(
        renderCard(record({ state: 'succeed', finishedAt: NOW, result: { videos, images: [] } }), { now: NOW }),
      ),
    );
    const links = findButtons(blocks).filter((b) => b.url);
    expect(links.length).toBe(5);
    // A URL Slack would refuse in a button is only linked in text.
    const bad = renderCard(
      record({
        state: 'succeed',
        finishedAt: NOW,
        result: { videos: [{ id: 'v', url: `https://x.example/${'a'.repeat(3100)}`, duration: '5' }], images: [] },
      }),
      { now: NOW },
    );
    expect(findButtons(valid(cardMessage(bad))).filter((b) => b.url)).toHaveLength(0);
  });

  it('the plain fallback card is valid and keeps the action buttons', () => {
    const view = renderCard(
      record({
        state: 'succeed',
        finishedAt: NOW,
        result: { videos: [{ id: 'v', url: 'https://x.example/v.mp4', duration: '5' }], images: [] },
      }),
      { now: NOW },
    );
    const blocks = valid(plainCardMessage(view));
    expect(findButtons(blocks).map((b) => b.actionId)).toEqual([
      ACTION_IDS.regenerate,
      ACTION_IDS.extend,
      ACTION_IDS.edit,
      ACTION_IDS.refresh,
      ACTION_IDS.delete,
    ]);
    expect(allText(blocks)).toContain('https://x.example/v.mp4');
  });
});

describe('Slack task list and notices', () => {
  const rows = (n: number, promptLength = 80, urlLength = 60) =>
    Array.from({ length: n }, (_, i): TaskRecord =>
      record({
        id: `kbrow${String(i).padStart(3, '0')}`,
        state: 'succeed',
        createdAt: NOW - i * 60_000,
        request: {
          kind: 'text2video',
          prompt: `row ${i} ${'p'.repeat(promptLength)}`,
          model: 'kling-v1-6',
          mode: 'std',
          duration: '5',
          aspect_ratio: '16:9',
        },
        result: { videos: [{ id: 'v', url: `https://cdn.example.com/${'u'.repeat(urlLength)}/${i}.mp4` }], images: [] },
      }),
    );
  const query = { owner: 'U0ALICE', page: 2, pageSize: 25, scope: 'channel' as const };

  it('GIVEN a middle page of 25 rows THEN every row, Prev and Next with the core page ids', () => {
    const list = renderTaskList({ items: rows(25), total: 80, page: 2, pageCount: 4 }, query);
    const blocks = valid(taskListMessage(list));
    const text = allText(blocks);
    for (const row of list.rows) expect(text).toContain(`\`${row.taskId}\``);
    expect(text).toContain('page 2 of 4 · 80 tasks');
    expect(findButtons(blocks).map((b) => [b.actionId, b.value])).toEqual([
      [ACTION_IDS.prev, pageButtonId({ ...query, page: 1 })],
      [ACTION_IDS.next, pageButtonId({ ...query, page: 3 })],
    ]);
  });

  it('GIVEN rows with huge URLs THEN the page drops links before it would break Slack limits', () => {
    const list = renderTaskList({ items: rows(25, 80, 900), total: 25, page: 1, pageCount: 1 }, { ...query, page: 1 });
    const blocks = valid(taskListMessage(list));
    expect(findButtons(blocks)).toHaveLength(0);
    for (const row of list.rows) expect(allText(blocks)).toContain(row.taskId);
  });

  it('GIVEN no tasks THEN the empty text and no buttons', () => {
    const list: TaskListView = renderTaskList({ items: [], total: 0, page: 1, pageCount: 0 }, { ...query, page: 1 });
    const blocks = valid(taskListMessage(list));
    expect(allText(blocks)).toContain('No tasks match.');
    expect(findButtons(blocks)).toHaveLength(0);
  });

  it('GIVEN a validation notice THEN Slack bold, escaped text and a readable fallback', () => {
    const view = notices.invalidOption('video', '**aspect_ratio**: must be one of 16:9, 9:16, 1:1 <x>');
    const message = noticeMessage(view as Extract<typeof view, { kind: 'notice' }>);
    const text = allText(valid(message));
    expect(text).toContain('*aspect_ratio*: must be one of');
    expect(text).not.toContain('**');
    expect(text).toContain('&lt;x&gt;');
    expect(message.text).toContain('aspect_ratio: must be one of');
    valid(
      privateMessage(
        notices.quota({
          active: 1,
          activeLimit: 2,
          today: 3,
          dailyLimit: 20,
          guildToday: 9,
          guildLimit: 0,
          resetsInMs: 3_600_000,
          admin: false,
        }),
      ),
    );
    valid(privateMessage({ kind: 'card', card: renderCard(record(), { now: NOW }) }));
  });
});

describe('Slack input', () => {
  it('decodes what Slack sends back to what the user typed', () => {
    expect(plainFromSlack('a cat &amp; a dog &lt;3 --neg &quot;x&quot;')).toBe('a cat & a dog <3 --neg &quot;x&quot;');
    expect(plainFromSlack('<https://example.com/cat.png> waves')).toBe('https://example.com/cat.png waves');
    expect(
      plainFromSlack('<https://example.com/a.png|example.com/a.png> <@U0ALICE|alice> <#C0GEN|general> <!here>'),
    ).toBe('https://example.com/a.png @alice #general @here');
    expect(plainFromSlack('&amp;lt;')).toBe('&lt;');
  });

  it('/animate: first word is the image, the rest the prompt; a leading flag is left to the parser', () => {
    const animate = commandByName('animate');
    const video = commandByName('video');
    if (!animate || !video) throw new Error('commands missing');
    expect(rawFromText(animate, ' https://x.example/cat.png  the cat waves --mode pro ', true)).toEqual({
      image: 'https://x.example/cat.png',
      prompt: 'the cat waves --mode pro',
    });
    expect(rawFromText(animate, 'https://x.example/cat.png', true)).toEqual({ image: 'https://x.example/cat.png' });
    expect(rawFromText(animate, '--image https://x.example/cat.png waves', true)).toEqual({
      prompt: '--image https://x.example/cat.png waves',
    });
    expect(rawFromText(animate, '', true)).toEqual({});
    expect(rawFromText(video, 'a cat --ar 9:16', true)).toEqual({ prompt: 'a cat --ar 9:16' });
  });
});

describe('slack/manifest.yml', () => {
  const manifest = readFileSync(join(REPO_ROOT, 'slack/manifest.yml'), 'utf8');

  it('declares every command, with a usage hint where it takes input, at /slack/events', () => {
    const declared = [...manifest.matchAll(/^\s+- command: (\/\S+)$/gm)].map((m) => m[1]);
    expect(declared).toEqual(commands.map((c) => `/${c.name}`));
    const urls = [...manifest.matchAll(/^\s+(?:url|request_url): (\S+)$/gm)].map((m) => m[1]);
    expect(urls.length).toBe(commands.length + 1);
    for (const url of urls) expect(url).toBe('https://YOUR_PUBLIC_URL/slack/events');
    expect(manifest.match(/usage_hint:/g)?.length).toBe(
      commands.filter((c) => Object.keys(c.options.shape).length > 0).length,
    );
  });

  it('asks for the bot scopes the adapter uses and no others, in HTTP mode', () => {
    const scopes = [...manifest.matchAll(/^\s+- ([a-z:.]+)$/gm)].map((m) => m[1]);
    // The *:read scopes let conversations.info say, before a task is paid for, whether the card can be posted.
    expect(scopes).toEqual([
      'commands',
      'chat:write',
      'chat:write.public',
      // Uploads of finished results into the card's thread (files.getUploadURLExternal / completeUploadExternal).
      'files:write',
      'channels:read',
      'groups:read',
      'im:read',
      'mpim:read',
    ]);
    expect(manifest).toMatch(/socket_mode_enabled: false/);
    expect(manifest).toMatch(/interactivity:\s+is_enabled: true/);
  });
});

it('blocksTextLength counts text objects like Slack', () => {
  expect(
    blocksTextLength([
      { type: 'section', text: { type: 'mrkdwn', text: 'abc' }, fields: [{ type: 'mrkdwn', text: 'de' }] },
    ]),
  ).toBe(5);
});
