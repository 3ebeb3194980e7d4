import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { cardButtonId, decodeButtonId, DISABLED_PAGE_IDS, type PageQueryIds } from '../src/interaction-ids.js';
import { KlingError } from '../src/kling/errors.js';
import { cardSignature, MEDIA_LIFETIME_MS, PROMPT_PREVIEW, renderCard } from '../src/render/card.js';
import { renderTaskList } from '../src/render/task-list.js';
import { cardToText, listToText } from '../src/render/text.js';

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);
const DAY = 86_400_000;

function task(over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 'kbabc123def456',
    scope: { platform: 'discord', guildId: 'g1', channelId: 'c1', userId: 'u1', userName: 'Ada' },
    request: {
      kind: 'text2video',
      prompt: 'a red fox running through snow',
      model: 'kling-v2-1-master',
      mode: 'pro',
      duration: '10',
      aspect_ratio: '9:16',
    },
    state: 'pending',
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

const running = (over: Partial<TaskRecord> = {}) =>
  task({
    state: 'processing',
    klingTaskId: '8422509036290001',
    submittedAt: T0 + 1000,
    processingAt: T0 + 5000,
    ...over,
  });
const finished = (over: Partial<TaskRecord> = {}) =>
  running({
    state: 'succeed',
    finishedAt: T0 + 95_000,
    credits: '4',
    result: { videos: [{ id: 'v1', url: 'https://cdn.kling.example/v/fox.mp4', duration: '10.1' }], images: [] },
    ...over,
  });

describe('renderCard', () => {
  it('pending: "Sending to Kling", our id, options, requester, only Refresh', () => {
    const view = renderCard(task(), { now: T0 + 500 });
    expect(view).toMatchObject({
      state: 'pending',
      statusLine: 'Sending to Kling',
      tone: 'pending',
      prompt: 'a red fox running through snow',
      requester: { id: 'u1', name: 'Ada' },
      startedAt: T0,
    });
    expect(view.fields).toEqual([
      { label: 'Options', value: 'Kling 2.1 Master · pro · 10s · 9:16' },
      { label: 'Requested by', value: 'Ada' },
      { label: 'Task', value: 'kbabc123def456' },
    ]);
    expect(view.progress).toBeUndefined();
    expect(view.media).toEqual([]);
    expect(view.buttons.map((b) => b.action)).toEqual(['refresh']);
  });

  it('queued: its place in line on the status line and in the notice', () => {
    const view = renderCard(task({ state: 'queued', queuedAt: T0 + 100 }), { now: T0 + 1000, queuePosition: 2 });
    expect(view.statusLine).toBe('Queued · #2 in line');
    expect(view.notice).toContain('#2 in line');
    expect(view.tone).toBe('warning');
    expect(renderCard(task({ state: 'queued' }), { now: T0, queuePosition: 1 }).statusLine).toBe('Queued · #1 in line');
  });

  it('submitted: Kling id shown; estimate only once there is a typical duration', () => {
    const sub = task({ state: 'submitted', klingTaskId: '8422509036290001', submittedAt: T0 + 1000 });
    const plain = renderCard(sub, { now: T0 + 2000 });
    expect(plain.statusLine).toBe('Submitted');
    expect(plain.fields.find((f) => f.label === 'Task')?.value).toBe('kbabc123def456 · Kling 8422509036290001');
    // 55 % of the typical duration has passed; the estimate moves in steps, so it shows 50 %.
    const est = renderCard(sub, { now: T0 + 1000 + 55_000, typicalMs: 100_000 });
    expect(est.statusLine).toBe('Submitted · 50% (estimate)');
    expect(est.progress).toMatchObject({ percent: 50, estimated: true });
  });

  it('processing: the provider percentage wins over the estimate; the estimate caps at 95 %', () => {
    const provider = renderCard(running({ progress: 42 }), { now: T0 + 30_000, typicalMs: 10_000 });
    expect(provider.statusLine).toBe('Processing · 42%');
    expect(provider.progress).toEqual({ percent: 42, estimated: false, bar: '▰▰▰▰▱▱▱▱▱▱' });
    expect(provider.tone).toBe('active');
    const estimate = renderCard(running(), { now: T0 + 1000 + 52_000, typicalMs: 100_000 });
    expect(estimate.statusLine).toBe('Processing · 50% (estimate)');
    expect(renderCard(running(), { now: T0 + 1000 + 500_000, typicalMs: 100_000 }).progress?.percent).toBe(95);
  });

  it('a provider delay is said on the card', () => {
    expect(renderCard(running({ delayedSince: T0 + 9000 }), { now: T0 + 10_000 }).notice).toMatch(/^Delayed/);
  });

  it('succeed: every URL with its duration, credits, took-time, expiry 30 days after finishing, finished buttons', () => {
    const view = renderCard(
      finished({
        result: {
          videos: [
            { id: 'v1', url: 'https://cdn.kling.example/v/fox-1.mp4', duration: '10.1' },
            { id: 'v2', url: 'https://cdn.kling.example/v/fox-2.mp4', duration: '5.1' },
          ],
          images: [],
        },
      }),
      { now: T0 + 100_000 },
    );
    expect(view.statusLine).toBe('Done');
    expect(view.tone).toBe('success');
    expect(view.media).toEqual([
      { url: 'https://cdn.kling.example/v/fox-1.mp4', kind: 'video', label: 'Video 1 (10.1s)' },
      { url: 'https://cdn.kling.example/v/fox-2.mp4', kind: 'video', label: 'Video 2 (5.1s)' },
    ]);
    expect(view.fields).toContainEqual({ label: 'Credits', value: '4 units' });
    expect(view.tookText).toBe('1m 35s');
    expect(view.expiresAt).toBe(T0 + 95_000 + 30 * DAY);
    expect(MEDIA_LIFETIME_MS).toBe(30 * DAY);
    // Kling documents video-extend for v1.x only: a 2.1 Master video has no Extend, a v1.6 one does.
    expect(view.buttons.map((b) => b.action)).toEqual(['regenerate', 'edit', 'refresh', 'delete']);
    const v16 = finished({
      request: { ...task().request, model: 'kling-v1-6' } as TaskRecord['request'],
      result: { videos: [{ id: 'v1', url: 'https://cdn.kling.example/v/a.mp4' }], images: [] },
    });
    expect(renderCard(v16, { now: T0 + 100_000 }).buttons.map((b) => b.action)).toEqual([
      'regenerate',
      'extend',
      'edit',
      'refresh',
      'delete',
    ]);
    // Edit only while Kling keeps the video (30 days after it finished).
    expect(renderCard(v16, { now: T0 + 95_000 + 31 * DAY }).buttons.map((b) => b.action)).not.toContain('edit');
    expect(view.fallbackText).toContain('https://cdn.kling.example/v/fox-2.mp4');
    const text = cardToText(view, T0 + 100_000);
    expect(text).toContain('Links expire on 2026-12-26');
    expect(text).toContain('Took 1m 35s');
  });

  it('images: one media entry per image', () => {
    const view = renderCard(
      finished({
        request: { kind: 'image', prompt: 'a lighthouse', model: 'kling-v2', aspect_ratio: '3:2', n: 2 },
        result: {
          videos: [],
          images: [
            { index: 0, url: 'https://cdn/i0.png' },
            { index: 1, url: 'https://cdn/i1.png' },
          ],
        },
      }),
      { now: T0 },
    );
    expect(view.title).toContain('Image');
    expect(view.fields[0]?.value).toBe('Kling 2.0 Image · 3:2 · 2 images');
    expect(view.media.map((m) => [m.kind, m.label, m.url])).toEqual([
      ['image', 'Image 1', 'https://cdn/i0.png'],
      ['image', 'Image 2', 'https://cdn/i1.png'],
    ]);
  });

  it.each([
    ['Failure to pass the risk control system', /safety check blocked this result/],
    ['Image pixel is invalid', /could not use the image: check that it is a JPG or PNG/],
    ['GPU exploded', /^Kling could not finish this task: GPU exploded\.$/],
    ['', /gave no reason/],
  ])('failed with task_status_msg %j: a plain sentence and Regenerate', (msg, sentence) => {
    const view = renderCard(running({ state: 'failed', statusMsg: msg || undefined, finishedAt: T0 + 60_000 }), {
      now: T0 + 60_000,
    });
    expect(view.statusLine).toBe('Failed');
    expect(view.tone).toBe('failure');
    expect(view.notice).toMatch(sentence);
    expect(view.notice).toMatch(/^[A-Z].*\.$/);
    expect(view.buttons.map((b) => b.action)).toContain('regenerate');
    expect(view.expiresAt).toBeUndefined();
  });

  it('a final carries when Kling says it finished (the outbox writes finals in that order); a task in progress does not', () => {
    expect(renderCard(finished({ doneAt: T0 + 94_600 }), { now: T0 + 96_000 }).doneAt).toBe(T0 + 94_600);
    expect(renderCard(running({ doneAt: T0 + 94_600 }), { now: T0 + 96_000 }).doneAt).toBeUndefined();
    expect(renderCard(finished(), { now: T0 + 96_000 }).doneAt).toBeUndefined();
  });

  it('refused by Kling at create: the error’s user sentence', () => {
    const refusal = new KlingError('content_policy', 'kling create answered HTTP 400 code 1301', {
      httpStatus: 400,
      klingCode: 1301,
    });
    const view = renderCard(
      task({ state: 'failed', failureCode: 'refused', statusMsg: refusal.userMessage, finishedAt: T0 + 200 }),
      { now: T0 + 300 },
    );
    expect(view.notice).toBe(refusal.userMessage);
    expect(view.notice).not.toContain('1301');
    expect(renderCard(task({ state: 'failed', failureCode: 'lost' }), { now: T0 }).notice).toMatch(
      /no longer knows this task/,
    );
  });

  it('the longest prompt is shortened on the card and in its plain text', () => {
    const long = `${'a very long prompt about foxes '.repeat(90)}`.slice(0, 2500);
    const view = renderCard(
      task({
        request: {
          kind: 'text2video',
          prompt: long,
          negative_prompt: 'n'.repeat(2500),
          model: 'kling-v1',
          mode: 'std',
          duration: '5',
          aspect_ratio: '16:9',
          cfg_scale: 0,
        },
      }),
      { now: T0 },
    );
    expect(long).toHaveLength(2500);
    expect(view.prompt.length).toBeLessThanOrEqual(PROMPT_PREVIEW);
    expect(view.prompt.endsWith('…')).toBe(true);
    expect(long.startsWith(view.prompt.slice(0, -1))).toBe(true);
    expect(view.fallbackText.length).toBeLessThan(600);
    expect(view.fields[0]?.value).toBe('Kling 1.0 · std · 5s · 16:9 · cfg 0');
  });
});

describe('cardSignature', () => {
  it('equal for the same task at different times when nothing shown changed', () => {
    for (const rec of [task(), running(), finished(), task({ state: 'queued' })]) {
      expect(cardSignature(renderCard(rec, { now: T0 + 1000 }))).toBe(
        cardSignature(renderCard(rec, { now: T0 + 3_600_000 })),
      );
    }
    // The estimate moves in 10 % steps: within one step, no edit.
    const sub = running();
    expect(cardSignature(renderCard(sub, { now: T0 + 1000 + 51_000, typicalMs: 100_000 }))).toBe(
      cardSignature(renderCard(sub, { now: T0 + 1000 + 54_000, typicalMs: 100_000 })),
    );
  });

  it('different when something shown changed', () => {
    const base = cardSignature(renderCard(running(), { now: T0 }));
    expect(cardSignature(renderCard(running({ progress: 10 }), { now: T0 }))).not.toBe(base);
    expect(cardSignature(renderCard(running({ delayedSince: T0 }), { now: T0 }))).not.toBe(base);
    expect(cardSignature(renderCard(running(), { now: T0 + 1000 + 51_000, typicalMs: 100_000 }))).not.toBe(
      cardSignature(renderCard(running(), { now: T0 + 1000 + 49_000, typicalMs: 100_000 })),
    );
    expect(cardSignature(renderCard(task({ state: 'queued' }), { now: T0, queuePosition: 1 }))).not.toBe(
      cardSignature(renderCard(task({ state: 'queued' }), { now: T0, queuePosition: 2 })),
    );
  });
});

describe('task list and button ids', () => {
  const rows = (n: number) =>
    Array.from({ length: n }, (_, i) => finished({ id: `kbrow${i}`, createdAt: T0 - i * 1000 }));

  it('a middle page has Prev and Next ids that decode to the neighbouring pages with the same query', () => {
    const q: PageQueryIds = {
      owner: '123456789012345678',
      page: 2,
      pageSize: 5,
      scope: 'mine',
      status: 'succeed',
      since: Date.UTC(2026, 10, 1),
      until: Date.UTC(2026, 10, 26, 14),
    };
    const list = renderTaskList({ items: rows(5), total: 12, page: 2, pageCount: 3 }, q);
    expect(list.rows).toHaveLength(5);
    expect(list.rows[0]).toMatchObject({
      taskId: 'kbrow0',
      stateLabel: 'Done',
      url: 'https://cdn.kling.example/v/fox.mp4',
      requesterName: 'Ada',
    });
    expect(list.filterText).toBe('your tasks · status succeed · since 2026-11-01 · until 2026-11-26');
    expect(decodeButtonId(list.prevId ?? '')).toEqual({ type: 'page', query: { ...q, page: 1 } });
    expect(decodeButtonId(list.nextId ?? '')).toEqual({ type: 'page', query: { ...q, page: 3 } });
    expect((list.prevId ?? '').length).toBeLessThanOrEqual(100);
    expect(listToText(list)).toContain('page 2 of 3 · 12 tasks');
    const open = renderTaskList({ items: rows(5), page: 2, hasMore: true }, q);
    expect(listToText(open)).toContain('page 2 · more after this');
    expect(decodeButtonId(open.nextId ?? '')).toEqual({ type: 'page', query: { ...q, page: 3 } });
    expect(renderTaskList({ items: rows(5), page: 2, hasMore: false }, q).nextId).toBeUndefined();
  });

  it('no Prev on the first page, no Next on the last; an empty list says so', () => {
    const q: PageQueryIds = { owner: 'U0123ABC', page: 1, pageSize: 10, scope: 'channel' };
    const first = renderTaskList({ items: rows(10), total: 11, page: 1, pageCount: 2 }, q);
    expect(first.prevId).toBeUndefined();
    expect(decodeButtonId(first.nextId ?? '')).toEqual({ type: 'page', query: { ...q, page: 2 } });
    const last = renderTaskList({ items: rows(1), total: 11, page: 2, pageCount: 2 }, { ...q, page: 2 });
    expect(last.nextId).toBeUndefined();
    const empty = renderTaskList({ items: [], total: 0, page: 1, pageCount: 1 }, q);
    expect(empty.emptyText).toBe('No tasks match.');
    expect(empty.prevId ?? empty.nextId).toBeUndefined();
  });

  it('card button ids round-trip', () => {
    for (const action of ['refresh', 'regenerate', 'extend', 'delete'] as const) {
      expect(decodeButtonId(cardButtonId(action, 'kbabc123def456'))).toEqual({
        type: 'card',
        action,
        taskId: 'kbabc123def456',
      });
    }
  });

  it.each([
    '',
    'kb',
    'kb:q:kbabc',
    'zz:r:kbabc',
    'kb:r:',
    'kb:r:../../etc',
    'kb:r:kbabc:extra',
    `kb:r:${'a'.repeat(41)}`,
    'kb:p:owner:0:10:c:::',
    'kb:p:owner:1:26:c:::',
    'kb:p:owner:1:10:x:::',
    'kb:p:owner:1:10:c:z::',
    'kb:p:owner:1:10:c::ZZ:',
    'kb:p:own er:1:10:c:::',
    'kb:p:owner:1.5:10:c:::',
    'kb:p:owner:1:10:c::',
    DISABLED_PAGE_IDS.prev,
    DISABLED_PAGE_IDS.next,
  ])('forged id %j decodes to unknown', (id) => {
    expect(decodeButtonId(id)).toEqual({ type: 'unknown' });
  });
});
