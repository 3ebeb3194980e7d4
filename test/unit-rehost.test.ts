import { describe, expect, it } from 'vitest';
import type { MediaCopy, TaskRecord } from '../src/domain.js';
import { outcomeOf, rehostChoice, runRehost } from '../src/media/rehost.js';
import { progressLine } from '../src/platforms/rehost-program.js';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const DAY = 86_400_000;
const URL = 'https://cdn.example/v.mp4';

/** A task that finished `daysAgo` days before NOW, with one video and a card. */
function done(daysAgo: number, over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    scope: { platform: 'discord', guildId: 'g1', channelId: 'c1', userId: 'u1', userName: 'Ada' },
    request: {
      kind: 'text2video',
      prompt: 'a fox',
      model: 'kling-v2-1',
      mode: 'std',
      duration: '5',
      aspect_ratio: '16:9',
    },
    state: 'succeed',
    createdAt: NOW - daysAgo * DAY - 60_000,
    updatedAt: NOW - daysAgo * DAY,
    finishedAt: NOW - daysAgo * DAY,
    result: { videos: [{ id: 'v1', url: URL }], images: [] },
    card: { messageId: '1' },
    ...over,
    id: `kb${daysAgo}${over.id ?? ''}`,
  };
}
const copy = (outcome: MediaCopy['outcome']): MediaCopy => ({ url: URL, outcome, at: NOW - DAY });

describe('rehostChoice', () => {
  it('GIVEN a link that dies within 7 days and no copy THEN upload; GIVEN it dies later THEN skip', () => {
    expect(rehostChoice(done(24), NOW)).toBe('upload'); // dies in 6 days
    expect(rehostChoice(done(23.01), NOW)).toBe('upload'); // just under 7 days left
    expect(rehostChoice(done(22), NOW)).toBe('skip'); // 8 days left
    expect(rehostChoice(done(1), NOW)).toBe('skip');
  });

  it('GIVEN a link already past its 30 days THEN expired (nothing fetched)', () => {
    expect(rehostChoice(done(30), NOW)).toBe('expired');
    expect(rehostChoice(done(45), NOW)).toBe('expired');
  });

  it('GIVEN a copy that failed THEN upload again; GIVEN uploaded, too large or gone THEN skip', () => {
    expect(rehostChoice(done(25, { media: [copy('failed')] }), NOW)).toBe('upload');
    for (const outcome of ['uploaded', 'too_large', 'gone'] as const)
      expect(rehostChoice(done(25, { media: [copy(outcome)] }), NOW)).toBe('skip');
  });

  it('GIVEN no card, no results, a deleted or an unfinished task THEN skip', () => {
    const { card: _card, ...noCard } = done(25);
    expect(rehostChoice(noCard, NOW)).toBe('skip');
    expect(rehostChoice(done(25, { result: { videos: [], images: [] } }), NOW)).toBe('skip');
    expect(rehostChoice(done(25, { deleted: true }), NOW)).toBe('skip');
    expect(rehostChoice(done(25, { state: 'failed' }), NOW)).toBe('skip');
  });
});

describe('outcomeOf', () => {
  it('GIVEN the copies a card ended with THEN one word for the summary', () => {
    expect(outcomeOf([copy('uploaded')])).toBe('uploaded');
    expect(outcomeOf([copy('too_large')])).toBe('tooLarge');
    expect(outcomeOf([copy('gone')])).toBe('gone');
    expect(outcomeOf([copy('uploaded'), copy('failed')])).toBe('failed');
    expect(outcomeOf(undefined)).toBe('failed');
  });
});

describe('runRehost', () => {
  it('GIVEN stored tasks THEN only those in the window are shown again, soonest to die first, and the tally adds up', async () => {
    const recs = [
      done(24, { id: 'a' }),
      done(29, { id: 'b' }),
      done(25, { id: 'c', media: [copy('failed')] }),
      done(26, { id: 'd' }),
      done(10, { id: 'e' }),
      done(40, { id: 'f' }),
      done(25, { id: 'g', media: [copy('uploaded')] }),
    ];
    const answers: Record<string, MediaCopy[] | undefined> = {
      kb29b: [copy('uploaded')],
      kb26d: [copy('too_large')],
      kb25c: [copy('gone')],
      kb24a: undefined,
    };
    const shown: string[] = [];
    const progress: number[] = [];
    const summary = await runRehost({
      ids: async () => recs.map((r) => r.id),
      getMany: async (ids) => recs.filter((r) => ids.includes(r.id)),
      now: () => NOW,
      concurrency: 1,
      rehost: async (rec) => {
        shown.push(rec.id);
        return answers[rec.id];
      },
      onProgress: (n) => progress.push(n),
    });
    expect(shown).toEqual(['kb29b', 'kb26d', 'kb25c', 'kb24a']);
    expect(summary).toEqual({ total: 5, uploaded: 1, tooLarge: 1, gone: 2, failed: 1 });
    expect(progress).toEqual([1, 2, 3, 4, 5]);
  });
});

it('progressLine draws the bar and the tally', () => {
  expect(progressLine(3, { total: 12, uploaded: 2, tooLarge: 1, gone: 0, failed: 0 })).toBe(
    '[######------------------] 3/12  uploaded 2, too large 1, gone at Kling 0, failed 0',
  );
});
