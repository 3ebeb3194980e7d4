import type { GenerationRequest } from '../domain.js';

const SAMPLES = 25;

/** Tasks of the same kind, model, mode and duration take comparable time. */
export function estimateKey(req: GenerationRequest): string {
  const mode = 'mode' in req ? req.mode : 'resolution' in req ? req.resolution : '-';
  const duration =
    req.kind === 'image'
      ? `n${req.n}`
      : req.kind === 'extend'
        ? 'extend'
        : req.kind === 'storyboard'
          ? String(req.shots.reduce((sum, s) => sum + s.seconds, 0))
          : (req.duration ?? 'edit');
  return `${req.kind}|${req.model}|${mode}|${duration}`;
}

/**
 * Learns how long this bot's own tasks take (submit → finish), per estimateKey, from the last
 * few finished tasks; the median is robust to one stuck task.
 */
export class DurationModel {
  private readonly samples = new Map<string, number[]>();
  /** Medians are read on every render and change only when a task finishes. */
  private readonly medians = new Map<string, number>();

  observe(key: string, ms: number): void {
    if (!(ms > 0)) return;
    const list = this.samples.get(key) ?? [];
    list.push(ms);
    if (list.length > SAMPLES) list.shift();
    this.samples.set(key, list);
    const sorted = [...list].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    this.medians.set(key, sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
  }

  median(key: string): number | undefined {
    return this.medians.get(key);
  }
}
