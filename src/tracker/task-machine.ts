import { isFinal, type TaskRecord, type TaskState } from '../domain.js';
import { KlingError } from '../kling/errors.js';
import type { KlingTask } from '../kling/schemas.js';
import { keepCard } from '../outbox/card-records.js';

/**
 * A task's life as pure functions: what Kling answered (or how it failed) and the record before
 * → the record after and when to look again. The clock and randomness are passed in, so every
 * rule is tested GIVEN/THEN without a server or a sleep; the tracker around them only does I/O.
 */

export interface Timing {
  /** Base poll interval; every other timing scales from it. */
  intervalMs: number;
  /** PUBLIC_URL is set: Kling calls back, polling is only a slow fallback. */
  callbacks: boolean;
}

/** What one task has been through lately (reset by any good answer). */
export interface Counters {
  errors: number;
  notFound: number;
}

export const LOST_AFTER_NOT_FOUND = 3;
export const MAX_QUEUE_BACKOFF_FACTOR = 6;

const RANK: Record<TaskState, number> = { pending: 0, queued: 1, submitted: 2, processing: 3, succeed: 4, failed: 4 };

/** States only move forward: a record never goes back from what another writer already stored. */
export const isBehind = (candidate: TaskState, stored: TaskState): boolean =>
  RANK[candidate] < RANK[stored] || (isFinal(stored) && candidate !== stored);

/** When to ask Kling again: often soon after submit, less often for a task long in processing; jittered ±10 %. */
export function checkInterval(
  rec: Pick<TaskRecord, 'submittedAt' | 'createdAt'>,
  now: number,
  timing: Timing,
  random: () => number,
): number {
  const base = timing.callbacks ? timing.intervalMs * 4 : timing.intervalMs;
  const age = now - (rec.submittedAt ?? rec.createdAt);
  const factor = age < 60 * timing.intervalMs ? 1 : age < 240 * timing.intervalMs ? 1.5 : 2;
  return base * factor * (0.9 + random() * 0.2);
}

/** Backoff after a failed call: doubling from the interval, at most 12 intervals. */
export const retryDelay = (errors: number, timing: Timing): number =>
  Math.min(timing.intervalMs * 2 ** errors, timing.intervalMs * 12);

export interface Answered {
  rec: TaskRecord;
  /** Something the card or a restart needs changed: persist it. */
  changed: boolean;
  nextCheckAt: number;
  counters: Counters;
}

/** Folds what Kling says about the task into its record. `submitted`: this answer is the create's own. */
export function onAnswer(
  prev: TaskRecord,
  task: KlingTask,
  now: number,
  timing: Timing,
  random: () => number,
  opts: { submitted?: boolean } = {},
): Answered {
  const next: TaskRecord = {
    ...prev,
    state: task.status,
    klingTaskId: task.taskId,
    ...(task.progress !== undefined ? { progress: task.progress } : {}),
    ...(task.statusMsg ? { statusMsg: task.statusMsg } : {}),
    ...(task.result ? { result: task.result } : {}),
    ...(task.credits ? { credits: task.credits } : {}),
    submittedAt: prev.submittedAt ?? (opts.submitted ? now : (task.createdAt ?? now)),
    ...(task.status === 'processing' && !prev.processingAt ? { processingAt: now } : {}),
    ...(isFinal(task.status) ? { finishedAt: prev.finishedAt ?? now } : {}),
    ...(isFinal(task.status) && prev.doneAt === undefined && task.updatedAt !== undefined
      ? { doneAt: task.updatedAt }
      : {}),
    delayedSince: undefined,
    queuedAt: undefined,
  };
  const changed =
    next.state !== prev.state ||
    next.klingTaskId !== prev.klingTaskId ||
    next.progress !== prev.progress ||
    next.statusMsg !== prev.statusMsg ||
    prev.delayedSince !== undefined ||
    prev.queuedAt !== undefined ||
    (next.result !== undefined && prev.result === undefined);
  return {
    rec: changed ? { ...next, updatedAt: now } : next,
    changed,
    nextCheckAt: now + checkInterval(next, now, timing, random),
    counters: { errors: 0, notFound: 0 },
  };
}

export interface PollFailed {
  counters: Counters;
  /** Set when the record changes (lost, or now "delayed"). */
  rec?: TaskRecord;
  nextCheckAt: number;
  final: boolean;
}

/** A poll failed. Not found three times in a row: the task is lost. Twice failed: the card says "delayed". */
export function onPollError(prev: TaskRecord, err: unknown, now: number, before: Counters, timing: Timing): PollFailed {
  const notFound = err instanceof KlingError && err.kind === 'not_found' ? before.notFound + 1 : before.notFound;
  if (notFound >= LOST_AFTER_NOT_FOUND) {
    return {
      counters: { errors: before.errors, notFound },
      rec: { ...prev, state: 'failed', failureCode: 'lost', finishedAt: now, updatedAt: now },
      nextCheckAt: now,
      final: true,
    };
  }
  const errors = before.errors + 1;
  const delayed = prev.delayedSince === undefined && errors >= 2;
  return {
    counters: { errors, notFound },
    ...(delayed ? { rec: { ...prev, delayedSince: now, updatedAt: now } } : {}),
    nextCheckAt: now + retryDelay(errors, timing),
    final: false,
  };
}

export type SubmitFailed =
  /** Kling is at the account's concurrency or rate limit (1303/1302): wait in our queue. */
  | { kind: 'queue'; retryAfterMs?: number }
  /** Kling refused the request itself (policy, parameters, balance): final, nothing was charged. */
  | { kind: 'refused'; rec: TaskRecord }
  /** Transient: try again later; `lookupFirst` when the create may have landed before its answer was lost. */
  | { kind: 'retry'; counters: Counters; nextCheckAt: number; lookupFirst: boolean; rec?: TaskRecord };

export function onSubmitError(
  prev: TaskRecord,
  err: unknown,
  now: number,
  before: Counters,
  timing: Timing,
): SubmitFailed {
  if (err instanceof KlingError && (err.kind === 'concurrency' || err.kind === 'rate_limit')) {
    return err.details.retryAfterMs !== undefined
      ? { kind: 'queue', retryAfterMs: err.details.retryAfterMs }
      : { kind: 'queue' };
  }
  // A refused credential that another one would fix (issue 19) ends the task with that sentence.
  if (err instanceof KlingError && !err.retryable && (err.kind !== 'auth' || err.needsOtherCredential)) {
    return {
      kind: 'refused',
      rec: {
        ...prev,
        state: 'failed',
        failureCode: 'refused',
        statusMsg: err.userMessage,
        finishedAt: now,
        updatedAt: now,
        delayedSince: undefined,
      },
    };
  }
  const errors = before.errors + 1;
  const lookupFirst =
    err instanceof KlingError &&
    (err.kind === 'timeout' || err.kind === 'network' || err.kind === 'malformed' || err.kind === 'server');
  return {
    kind: 'retry',
    counters: { errors, notFound: before.notFound },
    nextCheckAt: now + retryDelay(errors, timing),
    lookupFirst,
    ...(prev.delayedSince === undefined ? { rec: { ...prev, delayedSince: now, updatedAt: now } } : {}),
  };
}

/** The submit queue after a 1303/1302: Kling's Retry-After if it said one, else doubling from 1 s (±20 %), capped. */
export function queueBackoff(
  backoff: number,
  retryAfterMs: number | undefined,
  now: number,
  random: () => number,
): { backoff: number; retryAt: number } {
  const next = Math.min(backoff + 1, MAX_QUEUE_BACKOFF_FACTOR);
  return { backoff: next, retryAt: now + Math.max(retryAfterMs ?? 0, 1000 * 2 ** (next - 1) * (0.8 + random() * 0.4)) };
}

/**
 * What a tracker's write leaves in the store: its status fields, unless the stored record is
 * already further along (another replica, or a stale copy here, got there first): then the stored
 * one stays. Card fields always stay as the card's owner wrote them (outbox/card-records.ts).
 */
export function mergeForward(stored: TaskRecord, next: TaskRecord): TaskRecord {
  if (isBehind(next.state, stored.state)) return stored;
  return {
    ...keepCard(stored, next),
    deleted: stored.deleted,
    // The fence a create left in the store is never rolled back by an older copy.
    ...(stored.createEpoch !== undefined ? { createEpoch: Math.max(stored.createEpoch, next.createEpoch ?? 0) } : {}),
  };
}
