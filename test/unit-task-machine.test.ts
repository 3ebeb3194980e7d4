/**
 * The task state machine, GIVEN a record and what Kling answered (or how it failed) at a given
 * time, THEN the next record and when to look again. Pure: the clock and randomness are numbers.
 */
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { KlingError } from '../src/kling/errors.js';
import type { KlingTask } from '../src/kling/schemas.js';
import {
  checkInterval,
  isBehind,
  onAnswer,
  onPollError,
  onSubmitError,
  queueBackoff,
  type Counters,
  type Timing,
} from '../src/tracker/task-machine.js';

const T0 = 1_800_000_000_000;
const timing: Timing = { intervalMs: 1000, callbacks: false };
const half = () => 0.5;
const fresh: Counters = { errors: 0, notFound: 0 };

const record = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  id: 'kbmachine0001',
  scope: { platform: 'console', guildId: 'g', channelId: 'c', userId: 'u', userName: 'u' },
  request: {
    kind: 'text2video',
    prompt: 'a fox',
    model: 'kling-v1',
    mode: 'std',
    duration: '5',
    aspect_ratio: '16:9',
  } as TaskRecord['request'],
  state: 'pending',
  createdAt: T0,
  updatedAt: T0,
  ...over,
});
const answer = (over: Partial<KlingTask> = {}): KlingTask => ({ taskId: 'k1', status: 'submitted', ...over });

describe('onAnswer', () => {
  it('GIVEN a pending task WHEN the create answers submitted THEN it is submitted now, changed, checked again one interval later', () => {
    const step = onAnswer(record(), answer(), T0 + 50, timing, half, { submitted: true });
    expect(step.rec).toMatchObject({ state: 'submitted', klingTaskId: 'k1', submittedAt: T0 + 50, updatedAt: T0 + 50 });
    expect(step.changed).toBe(true);
    expect(step.nextCheckAt).toBe(T0 + 50 + 1000);
  });

  it('GIVEN a processing task WHEN Kling says the same again THEN nothing changed (no write, no edit)', () => {
    const prev = record({ state: 'processing', klingTaskId: 'k1', submittedAt: T0, processingAt: T0 + 10 });
    const step = onAnswer(prev, answer({ status: 'processing' }), T0 + 5000, timing, half);
    expect(step.changed).toBe(false);
    expect(step.rec.processingAt).toBe(T0 + 10);
  });

  it('GIVEN a "delayed" task WHEN any answer comes THEN the delay clears and the counters reset', () => {
    const prev = record({ state: 'processing', klingTaskId: 'k1', submittedAt: T0, delayedSince: T0 + 100 });
    const step = onAnswer(prev, answer({ status: 'processing' }), T0 + 3000, timing, half);
    expect(step.changed).toBe(true);
    expect(step.rec.delayedSince).toBeUndefined();
    expect(step.counters).toEqual(fresh);
  });

  it('GIVEN a processing task WHEN it succeeds THEN the result, credits and finish time are kept', () => {
    const prev = record({ state: 'processing', klingTaskId: 'k1', submittedAt: T0 });
    const result = { videos: [{ id: 'v', url: 'https://x/v.mp4', duration: '5.1' }], images: [] };
    const step = onAnswer(prev, answer({ status: 'succeed', result, credits: '2' }), T0 + 60_000, timing, half);
    expect(step.rec).toMatchObject({ state: 'succeed', result, credits: '2', finishedAt: T0 + 60_000 });
  });

  it('GIVEN tasks that one poll finds finished WHEN Kling says when each ended THEN that is kept (doneAt) beside the poll’s finishedAt, never moved by later answers; in progress THEN none', () => {
    const prev = record({ state: 'processing', klingTaskId: 'k1', submittedAt: T0 });
    const done = onAnswer(prev, answer({ status: 'succeed', updatedAt: T0 + 59_400 }), T0 + 60_000, timing, half);
    expect(done.rec).toMatchObject({ finishedAt: T0 + 60_000, doneAt: T0 + 59_400 });
    const again = onAnswer(done.rec, answer({ status: 'succeed', updatedAt: T0 + 99_000 }), T0 + 99_000, timing, half);
    expect(again.rec.doneAt).toBe(T0 + 59_400);
    const running = onAnswer(prev, answer({ status: 'processing', updatedAt: T0 + 100 }), T0 + 500, timing, half);
    expect(running.rec.doneAt).toBeUndefined();
  });
});

describe('checkInterval', () => {
  it('GIVEN a task soon after submit THEN every interval; long in processing THEN 1.5× then 2×; with callbacks THEN 4× slower; jitter ±10 %', () => {
    const rec = { createdAt: T0, submittedAt: T0 };
    expect(checkInterval(rec, T0 + 1000, timing, half)).toBe(1000);
    expect(checkInterval(rec, T0 + 61_000, timing, half)).toBe(1500);
    expect(checkInterval(rec, T0 + 241_000, timing, half)).toBe(2000);
    expect(checkInterval(rec, T0 + 1000, { ...timing, callbacks: true }, half)).toBe(4000);
    expect(checkInterval(rec, T0 + 1000, timing, () => 0)).toBe(900);
    expect(checkInterval(rec, T0 + 1000, timing, () => 1)).toBeCloseTo(1100);
  });
});

describe('onPollError', () => {
  it('GIVEN one failed poll THEN retry after 2 intervals and no "delayed" yet; GIVEN a second THEN "delayed" is set', () => {
    const prev = record({ state: 'processing', klingTaskId: 'k1' });
    const first = onPollError(prev, new KlingError('server', '500'), T0, fresh, timing);
    expect(first).toMatchObject({ final: false, nextCheckAt: T0 + 2000, counters: { errors: 1 } });
    expect(first.rec).toBeUndefined();
    const second = onPollError(prev, new KlingError('timeout', 'slow'), T0 + 2000, first.counters, timing);
    expect(second.rec?.delayedSince).toBe(T0 + 2000);
    expect(second.nextCheckAt).toBe(T0 + 2000 + 4000);
  });

  it('GIVEN the backoff THEN it stops growing at 12 intervals', () => {
    const prev = record({ state: 'processing', klingTaskId: 'k1', delayedSince: T0 });
    expect(onPollError(prev, new KlingError('server', '500'), T0, { errors: 9, notFound: 0 }, timing).nextCheckAt).toBe(
      T0 + 12_000,
    );
  });

  it('GIVEN "not found" a third time THEN the task is lost (failed, final)', () => {
    const prev = record({ state: 'processing', klingTaskId: 'k1' });
    const lost = onPollError(prev, new KlingError('not_found', '404'), T0, { errors: 2, notFound: 2 }, timing);
    expect(lost.final).toBe(true);
    expect(lost.rec).toMatchObject({ state: 'failed', failureCode: 'lost', finishedAt: T0 });
  });
});

describe('onSubmitError', () => {
  it('GIVEN 1303/1302 THEN the task waits in our queue (with Kling’s Retry-After when given)', () => {
    expect(onSubmitError(record(), new KlingError('concurrency', '1303'), T0, fresh, timing)).toEqual({
      kind: 'queue',
    });
    expect(
      onSubmitError(record(), new KlingError('rate_limit', '1302', { retryAfterMs: 7000 }), T0, fresh, timing),
    ).toEqual({ kind: 'queue', retryAfterMs: 7000 });
  });

  it('GIVEN Kling refuses the request itself THEN the task fails at once with its plain reason', () => {
    const step = onSubmitError(record(), new KlingError('content_policy', '1301'), T0, fresh, timing);
    expect(step.kind).toBe('refused');
    if (step.kind === 'refused')
      expect(step.rec).toMatchObject({ state: 'failed', failureCode: 'refused', finishedAt: T0 });
  });

  it.each(['timeout', 'network', 'malformed', 'server'] as const)(
    'GIVEN a %s (the create may have landed) THEN retry later, looking it up by our id first',
    (kind) => {
      const step = onSubmitError(record(), new KlingError(kind, 'lost answer'), T0, fresh, timing);
      expect(step).toMatchObject({
        kind: 'retry',
        lookupFirst: true,
        nextCheckAt: T0 + 2000,
        rec: { delayedSince: T0 },
      });
    },
  );

  it('GIVEN our keys are refused THEN keep the task and retry (the operator is fixing them), no lookup needed', () => {
    expect(onSubmitError(record(), new KlingError('auth', '401'), T0, fresh, timing)).toMatchObject({
      kind: 'retry',
      lookupFirst: false,
    });
  });
});

describe('queueBackoff and isBehind', () => {
  it('GIVEN repeated 1303s THEN the lane waits 1 s, 2 s, 4 s … (capped), or Kling’s Retry-After if longer', () => {
    let b = 0;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const next = queueBackoff(b, undefined, T0, half);
      waits.push(next.retryAt - T0);
      b = next.backoff;
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 32000, 32000]);
    expect(queueBackoff(0, 9000, T0, half).retryAt).toBe(T0 + 9000);
  });

  it('states only move forward: an older state is behind a newer one, and a final state is never replaced by another', () => {
    expect(isBehind('processing', 'succeed')).toBe(true);
    expect(isBehind('submitted', 'processing')).toBe(true);
    expect(isBehind('failed', 'succeed')).toBe(true);
    expect(isBehind('succeed', 'processing')).toBe(false);
    expect(isBehind('processing', 'processing')).toBe(false);
  });
});
