import { isFinal } from '../domain.js';
import type { KlingTask } from '../kling/schemas.js';
import type { Semaphore } from './limiter.js';
import type { LiveTask, LiveTasks } from './live.js';
import { Poller } from './poller.js';
import type { SubmitQueue } from './submit-queue.js';
import { Submitter, type SubmitterDeps } from './submitter.js';
import { onAnswer, onPollError, type Timing } from './task-machine.js';
import type { TrackerOptions } from './tracker-options.js';

/** What the tracker does with what the submitter and the poller learn. */
export interface StepHooks extends Pick<SubmitterDeps, 'save' | 'finish' | 'queueMoved' | 'clearCreate' | 'run'> {
  /** Nothing changed, but the card's estimate may have moved. */
  shown: (live: LiveTask) => void;
}

interface Parts {
  sem: Semaphore;
  live: LiveTasks;
  queue: SubmitQueue;
  timing: Timing;
  now: () => number;
  random: () => number;
}

/**
 * The two parts that ask Kling, sharing one call cap (`sem`) and the tracker's live tasks, and
 * how what they learn is folded into each record (the task machine decides; the hooks persist).
 */
export function askingSteps(
  o: TrackerOptions,
  parts: Parts,
  hooks: StepHooks,
): { submitter: Submitter; poller: Poller } {
  const { timing, now } = parts;
  /** Folds what Kling says into the record; persists and re-renders only on change. */
  const answered = async (live: LiveTask, task: KlingTask, submitted: boolean): Promise<void> => {
    const step = onAnswer(live.rec, task, now(), timing, parts.random, { submitted });
    live.counters = step.counters;
    live.nextCheckAt = step.nextCheckAt;
    parts.live.knownAs(live.rec.id, task.taskId);
    if (step.changed) await hooks.save(live, step.rec);
    else hooks.shown(live);
    if (isFinal(step.rec.state)) hooks.finish(live);
  };
  const failed = async (live: LiveTask, err: unknown): Promise<void> => {
    const step = onPollError(live.rec, err, now(), live.counters, timing);
    live.counters = step.counters;
    live.nextCheckAt = step.nextCheckAt;
    if (!step.final) o.log.warn({ taskId: live.rec.id, err, errors: step.counters.errors }, 'poll failed; will retry');
    if (step.rec) await hooks.save(live, step.rec);
    if (step.final) hooks.finish(live);
  };
  const shared = { kling: o.kling, sem: parts.sem, live: parts.live, run: hooks.run };
  const submitter = new Submitter({
    ...shared,
    queue: parts.queue,
    timing,
    log: o.log,
    now,
    ...(o.callbackUrl ? { callbackUrl: o.callbackUrl } : {}),
    answered: (live, task) => answered(live, task, true),
    save: hooks.save,
    finish: hooks.finish,
    queueMoved: hooks.queueMoved,
    clearCreate: hooks.clearCreate,
  });
  const poller = new Poller({
    ...shared,
    listThreshold: o.listThreshold ?? 6,
    listPageSize: o.listPageSize ?? 500,
    answered: (live, task) => answered(live, task, false),
    failed,
  });
  return { submitter, poller };
}
