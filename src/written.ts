/**
 * What a platform said about its budget on one answer (Discord: `X-RateLimit-Remaining`,
 * `X-RateLimit-Reset-After`, `X-RateLimit-Bucket`). Platform-neutral, so the outbox paces every
 * platform the same way. Absent fields mean "not reported".
 */
export interface RateInfo {
  /** Writes left in the current window. */
  remaining?: number;
  /** Until the window resets, in ms from the answer. */
  resetAfterMs?: number;
  /** Writes per window. */
  limit?: number;
  /** The platform's own name for the bucket (logs and metrics only). */
  bucket?: string;
}

/** A write's result and what the platform said about the budget while answering it. */
export interface Written<T> {
  value: T;
  rate?: RateInfo;
}
