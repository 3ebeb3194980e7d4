import { MAX_HOLD_MS } from '../burst-gate.js';
import { isFinal, type TaskRecord } from '../domain.js';
import { recordsToResume, type TrackerOptions } from './tracker-options.js';
import { abandonUnshown, isAbandoned } from './unanswered.js';

/** How often a leader reads the store for tasks other replicas accepted (on every renewal at most). */
export const RESUME_EVERY_MS = 1000;

/**
 * A renewal's read of the store: on taking the lease at once, else a second after the last one, and
 * while a burst of interactions is answered up to MAX_HOLD_MS later (it read every record the burst
 * had admitted and not handed to the tracker yet, bench/burst.ts). Never held longer: other replicas'
 * tasks must still be picked up under a flood of commands.
 */
export const resumeDue = (fresh: boolean, sinceLastMs: number, burst: boolean): boolean =>
  fresh || sinceLastMs >= RESUME_EVERY_MS + (burst ? MAX_HOLD_MS : 0);

/** What the resume step does with each stored record it finds. */
export interface ResumeSteps {
  held: (id: string) => boolean;
  /** Finished tasks whose final card was re-offered (not read again); owned by the tracker. */
  reshown: Set<string>;
  adopt: (rec: TaskRecord) => void;
  reshow: (rec: TaskRecord) => void;
  run: (work: Promise<unknown>) => void;
}

/**
 * The leader's read of the store for tasks it does not hold yet: at start, on taking the lease, and
 * on renewals (at most once a second). Records a gone process never answered are closed, unfinished
 * ones adopted, finished ones whose card never showed the end shown again.
 */
export class Resumer {
  /** Records written before this moment without a lease were written by a process that is gone. */
  private readonly startedAt: number;
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly o: Pick<TrackerOptions, 'store' | 'budgets' | 'lease' | 'burst'>,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  /** The records it acted on (0 when a renewal came too soon after the last read). */
  async resume(fresh: boolean, steps: ResumeSteps): Promise<TaskRecord[]> {
    // Renewals come four times a TTL; other replicas' tasks are picked up once a second.
    if (!resumeDue(fresh, this.now() - this.lastAt, this.o.burst?.busy() ?? false)) return [];
    this.lastAt = this.now();
    const records = await recordsToResume(this.o, steps.held, steps.reshown, this.now);
    const now = this.now();
    for (const rec of records) {
      if (isAbandoned(rec, now, this.startedAt, Boolean(this.o.lease)))
        steps.run(abandonUnshown({ tasks: this.o.store, budgets: this.o.budgets }, rec.id, now));
      else if (!isFinal(rec.state)) steps.adopt(rec);
      else {
        steps.reshown.add(rec.id);
        steps.reshow(rec); // finished, but the card never showed it: a crash beat the last edit
      }
    }
    return records;
  }
}
