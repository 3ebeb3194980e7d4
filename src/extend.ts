import type { GenerationRequest, TaskRecord } from './domain.js';
import { RefusedError } from './errors.js';
import { violationOf } from './kling/rules.js';
import { refusals } from './render/notices.js';

/** Kling keeps generated media 30 days; a video it has deleted cannot be extended (Kling API docs, video-extend). */
export const EXTEND_MAX_SOURCE_AGE_MS = 30 * 86_400_000;
/** An extended video may total at most 3 minutes. */
export const EXTEND_MAX_TOTAL_SECONDS = 180;
/** Each extension adds 4–5 s: the upper end decides whether one more still fits. */
export const EXTEND_ADDS_SECONDS = 5;

/**
 * The video-extend request for a finished video, or a RefusedError saying why not: not a
 * finished video, over 30 days old, or past 3 minutes in total. Same model and mode as the source.
 */
export function extendRequest(
  source: TaskRecord,
  now: number,
  text: { prompt?: string | undefined; negative_prompt?: string | undefined } = {},
): Extract<GenerationRequest, { kind: 'extend' }> {
  const req = source.request;
  const video = source.result?.videos[0];
  if (req.kind === 'image') throw new RefusedError('extend_not_video', refusals.extendNotVideo(source.id));
  if (req.kind === 'omni' || req.kind === 'storyboard')
    throw new RefusedError(
      'extend_model',
      `${req.model} videos cannot be extended: Kling documents video-extend for v1.x models only`,
    );
  if (source.state !== 'succeed' || !video)
    throw new RefusedError('extend_not_finished', refusals.extendNotFinished(source.id));
  const finishedAt = source.finishedAt ?? source.updatedAt;
  if (now - finishedAt > EXTEND_MAX_SOURCE_AGE_MS)
    throw new RefusedError('extend_too_old', refusals.extendTooOld(source.id, finishedAt));
  const seconds = Number(
    video.duration ?? (req.kind === 'extend' ? req.sourceSeconds + EXTEND_ADDS_SECONDS : req.duration),
  );
  const sourceSeconds = Number.isFinite(seconds) ? seconds : 0;
  if (sourceSeconds + EXTEND_ADDS_SECONDS > EXTEND_MAX_TOTAL_SECONDS)
    throw new RefusedError(
      'extend_too_long',
      refusals.extendTooLong(source.id, sourceSeconds, EXTEND_MAX_TOTAL_SECONDS),
    );
  const sourceKind = req.kind === 'extend' ? req.sourceKind : req.kind;
  const violation = violationOf({ kind: sourceKind, model: req.model, extend: true });
  if (violation) throw new RefusedError('extend_model', violation.message);
  const prompt = text.prompt?.trim() || req.prompt;
  const negative = text.negative_prompt?.trim() || req.negative_prompt;
  return {
    kind: 'extend',
    parentTaskId: source.id,
    video_id: video.id,
    parentVideoUrl: video.url,
    ...(prompt ? { prompt } : {}),
    ...(negative ? { negative_prompt: negative } : {}),
    model: req.model,
    mode: req.mode,
    sourceKind,
    sourceSeconds,
  };
}
