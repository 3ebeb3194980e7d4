import type { GenerationRequest, TaskRecord } from '../domain.js';
import { RefusedError, ValidationError } from '../errors.js';
import { resolutionOfMode } from '../kling/capabilities.js';
import { omniRow } from './defaults.js';
import { editViolation, framePixels, type EditRule } from './edit-source.js';
import { referenceViolation } from './references.js';
import type { Resolution } from './resolution.js';
import type { Violation } from './violation.js';

/**
 * `/edit id instruction` and the Edit button's form: a new omni task with the finished video as
 * its base video. Kling gets its own URL of the video (the record keeps it), never the platform's.
 */

/** The source's frame, where its request says (an image-to-video's frame is the image's). */
function sourceFrame(req: GenerationRequest): { resolution: Resolution; aspect?: string | undefined } | undefined {
  if (req.kind === 'image' || req.kind === 'extend') return undefined;
  if (req.kind === 'omni' || req.kind === 'storyboard') return { resolution: req.resolution, aspect: req.aspect_ratio };
  return { resolution: resolutionOfMode(req.mode), aspect: req.kind === 'text2video' ? req.aspect_ratio : undefined };
}

/** Why `source` cannot be edited by `model` now (the card's Edit button shows only without one), or undefined. */
export function editViolationOf(source: TaskRecord, model: string, now: number): Violation<EditRule> | undefined {
  const video = source.result?.videos[0];
  const frame = sourceFrame(source.request);
  const size = frame ? framePixels(frame.resolution, frame.aspect) : undefined;
  const seconds = video?.duration !== undefined ? Number(video.duration) : undefined;
  const limits = omniRow(model)?.referenceVideo;
  return editViolation(
    {
      isVideo: source.request.kind !== 'image',
      finished: source.state === 'succeed' && video !== undefined,
      finishedAt: source.finishedAt ?? source.updatedAt,
      klingVideo: video?.url,
      ...(seconds !== undefined && Number.isFinite(seconds) ? { seconds } : {}),
      ...(size ?? {}),
    },
    model,
    limits ?? { minSeconds: 0, maxSeconds: Number.POSITIVE_INFINITY, minSide: 0, maxSide: Number.POSITIVE_INFINITY },
    now,
  );
}

export function editRequest(
  source: TaskRecord,
  instruction: string,
  model: string,
  now: number,
): Extract<GenerationRequest, { kind: 'omni' }> {
  const video = source.result?.videos[0];
  const frame = sourceFrame(source.request);
  const seconds = video?.duration !== undefined ? Number(video.duration) : undefined;
  const row = omniRow(model);
  const violation = editViolationOf(source, model, now);
  if (violation) throw new RefusedError(`edit_${violation.rule}`, `**${source.id}** ${violation.message}`);
  const named = referenceViolation(instruction, 0, model, 0);
  if (named && named.rule === 'unknown_image') throw new ValidationError('instruction', named.message);
  const resolutions = row?.resolutions.filter((r): r is Resolution => r === '720p' || r === '1080p' || r === '4k');
  const resolution = frame && resolutions?.includes(frame.resolution) ? frame.resolution : (resolutions?.[0] ?? '720p');
  return {
    kind: 'omni',
    prompt: instruction,
    model,
    resolution,
    images: [],
    edit: {
      parentTaskId: source.id,
      ...(video?.id ? { video_id: video.id } : {}),
      video_url: video?.url ?? '',
      ...(seconds !== undefined && Number.isFinite(seconds) ? { seconds } : {}),
    },
  };
}
