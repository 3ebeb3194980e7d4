import { groupedNumber } from '../render/format.js';
import type { Violation } from './violation.js';
import type { Resolution } from './resolution.js';

/**
 * Whether a finished task's video can be edited by an omni model (docs/sources.md, "Omni":
 * `base_video` within the model's reference-video limits; Kling deletes generated media after
 * 30 days). The card shows an Edit button only when this says yes, and `/edit` refuses with
 * the same sentence.
 */

export const EDIT_MAX_AGE_MS = 30 * 86_400_000;

/**
 * A model's limits on an input video (docs/sources.md, "Omni": 3.0 Omni 3–15.5 s, 700–4,553 px, ≤ 8,294,400 px;
 * O1 3–10 s, 700–2,160 px).
 */
export interface ReferenceVideoLimits {
  minSeconds: number;
  maxSeconds: number;
  /** Each side at least / at most this many pixels. */
  minSide: number;
  maxSide: number;
  /** Width × height at most; absent: no limit beyond the sides. */
  maxArea?: number;
}

/** What the record says about the source, in plain terms. */
export interface EditSource {
  /** The task made a video (not images). */
  isVideo: boolean;
  finished: boolean;
  /** When Kling finished it (its 30 days count from then). */
  finishedAt?: number | undefined;
  /** Kling's video id or URL, which Kling can fetch; the platform's copy it cannot. */
  klingVideo?: string | undefined;
  /** Length in seconds, as Kling reported it ("5.1") or as asked. */
  seconds?: number | undefined;
  width?: number | undefined;
  height?: number | undefined;
}

export type EditRule = 'not_video' | 'not_finished' | 'too_old' | 'no_source' | 'length' | 'pixels';

/** The first reason `source` cannot be edited by `model`, or undefined. */
export function editViolation(
  source: EditSource,
  model: string,
  limits: ReferenceVideoLimits,
  now: number,
): Violation<EditRule> | undefined {
  const no = (rule: EditRule, message: string): Violation<EditRule> => ({ rule, field: 'id', message });
  if (!source.isVideo) return no('not_video', 'is not a video: only videos can be edited');
  if (!source.finished) return no('not_finished', 'has not finished: a video can be edited once it is ready');
  if (source.finishedAt !== undefined && now - source.finishedAt > EDIT_MAX_AGE_MS)
    return no('too_old', 'is over 30 days old: Kling has deleted the video, so it can no longer be edited');
  if (!source.klingVideo) return no('no_source', 'has no video at Kling to edit');
  const s = source.seconds;
  if (s !== undefined && (s < limits.minSeconds || s > limits.maxSeconds))
    return no('length', `lasts ${s} s; ${model} edits videos of ${limits.minSeconds} to ${limits.maxSeconds} s`);
  const { width: w, height: h } = source;
  if (w !== undefined && h !== undefined) {
    const sides = Math.min(w, h) >= limits.minSide && Math.max(w, h) <= limits.maxSide;
    const area = limits.maxArea === undefined || w * h <= limits.maxArea;
    if (!sides || !area)
      return no(
        'pixels',
        `is ${w}×${h}; ${model} edits videos of ${limits.minSide} to ${limits.maxSide} px a side${limits.maxArea ? ` and at most ${groupedNumber(limits.maxArea)} px in all` : ''}`,
      );
  }
  return undefined;
}

/**
 * The frame size Kling makes for a resolution and aspect ratio: 16:9 is 1280×720, 1920×1080 or
 * 3840×2160, 9:16 the same turned, and 1:1 960, 1440 or 2880 square (a gateway's list of Kling's
 * sizes, docs.dev.runwayml.com, and 2880² = 3.0 Omni's 8,294,400 px cap). Undefined when the
 * input image set the ratio (image-to-video).
 */
export function framePixels(
  resolution: Resolution,
  aspect: string | undefined,
): { width: number; height: number } | undefined {
  const long = { '720p': 1280, '1080p': 1920, '4k': 3840 }[resolution];
  const short = { '720p': 720, '1080p': 1080, '4k': 2160 }[resolution];
  const square = { '720p': 960, '1080p': 1440, '4k': 2880 }[resolution];
  if (aspect === '16:9') return { width: long, height: short };
  if (aspect === '9:16') return { width: short, height: long };
  if (aspect === '1:1') return { width: square, height: square };
  return undefined;
}
