import { z } from 'zod';
import { VIDEO_UNIT_USD } from '../../budget.js';
import type { GenerationRequest, TaskKind } from '../../domain.js';
import { capabilityKindOf, resolutionOfMode } from '../capabilities.js';
import { rowFor } from '../model-table.js';
import { modelIdFor, storyboardKind } from '../rules.js';
import { omniNewBody, storyboardNewBody, storyboardOmniNewBody } from '../../omni/bodies.js';
import type { KlingTask } from '../schemas.js';
import { klingImage } from './legacy.js';

/**
 * Kling's new standard (since June 2026): the model id in the path, `contents[]`, `settings{}`,
 * `options{}` in the body, an API key only, tasks read in batches at `/tasks`. Docs:
 * https://app.klingai.com/global/dev/document-api (update log 2026-06-17, 2026-07-15).
 * Video only: images stay on the legacy standard. Omni tasks and storyboards build their bodies in
 * src/omni/bodies.ts; a storyboard of an omni model (3.0 Omni) goes to omni-video, any other to
 * text-to-video with the shot syntax in its prompt.
 */

export const NEW_ENDPOINTS: Partial<Record<TaskKind, string>> = {
  text2video: '/text-to-video',
  image2video: '/image-to-video',
  omni: '/omni-video',
  storyboard: '/text-to-video',
};

export const TASKS_PATH = '/tasks';

/** Kinds the new standard carries. */
export const speaksNew = (kind: TaskKind): boolean => NEW_ENDPOINTS[kind] !== undefined;

/**
 * `POST /text-to-video/{model}`: the id as the table knows it on this standard, or as given (path-safe by its
 * pattern).
 */
export function newCreatePath(req: GenerationRequest): string {
  const kind = req.kind === 'storyboard' ? storyboardKind(req.model) : capabilityKindOf(req);
  const endpoint = req.kind === 'storyboard' && kind === 'omni' ? NEW_ENDPOINTS.omni : NEW_ENDPOINTS[req.kind];
  if (!endpoint) throw new Error(`${req.kind} has no endpoint on Kling's new API`);
  return `${endpoint}/${encodeURIComponent(modelIdFor(req.model, kind, 'new'))}`;
}

type Body = Record<string, unknown>;
type VideoRequest = Extract<GenerationRequest, { kind: 'text2video' | 'image2video' }>;

/**
 * `settings{}`: std → 720p, pro → 1080p; audio only where the model has it (any model the table does not know:
 * when asked).
 */
function settingsOf(req: VideoRequest): Body {
  const resolution = req.resolution ?? resolutionOfMode(req.mode);
  const row = rowFor(req.model, req.kind);
  const audio = row
    ? row.audio.includes(resolution)
      ? { audio: req.sound === 'on' ? 'native' : 'off' }
      : {}
    : req.sound === 'on'
      ? { audio: 'native' }
      : {};
  return {
    resolution,
    duration: Number(req.duration),
    ...(req.kind === 'text2video' ? { aspect_ratio: req.aspect_ratio } : {}),
    ...audio,
  };
}

const BODIES: Partial<{ [K in GenerationRequest['kind']]: (req: Extract<GenerationRequest, { kind: K }>) => Body }> = {
  text2video: (req) => ({ prompt: req.prompt, settings: settingsOf(req) }),
  image2video: (req) => ({
    contents: [
      { type: 'first_frame', url: klingImage(req.image) },
      ...(req.image_tail !== undefined ? [{ type: 'last_frame', url: klingImage(req.image_tail) }] : []),
      ...(req.prompt ? [{ type: 'prompt', text: req.prompt }] : []),
    ],
    settings: settingsOf(req),
  }),
};

/**
 * The body of a new-standard create. negative_prompt and cfg_scale have no field here: the commands refuse them
 * first.
 */
export function newBody(req: GenerationRequest, externalTaskId: string, callbackUrl?: string): Body {
  const extras = { externalTaskId, callbackUrl };
  if (req.kind === 'omni') return omniNewBody(req, extras);
  if (req.kind === 'storyboard')
    return storyboardKind(req.model) === 'omni' ? storyboardOmniNewBody(req, extras) : storyboardNewBody(req, extras);
  const build = BODIES[req.kind] as ((r: GenerationRequest) => Body) | undefined;
  if (!build) throw new Error(`${req.kind} has no body on Kling's new API`);
  return {
    ...build(req),
    options: { external_task_id: externalTaskId, ...(callbackUrl ? { callback_url: callbackUrl } : {}) },
  };
}

// ----- answers -------------------------------------------------------------------------------

const NewStatus = z.enum(['submitted', 'processing', 'succeeded', 'failed']);

const Output = z.object({
  type: z.string().nullish(),
  id: z.coerce.string().nullish(),
  url: z.string(),
  watermark_url: z.string().nullish(),
  duration: z.coerce.string().nullish(),
});

const Charge = z.object({
  charge_type: z.string(),
  amount: z.coerce.number(),
  package_type: z.string().nullish(),
  currency: z.string().nullish(),
});

/** One task as the new standard reports it (create answer, batch query, list, callback). */
export const NewTask = z.object({
  id: z.coerce.string(),
  status: NewStatus,
  message: z.string().nullish(),
  create_time: z.number().nullish(),
  update_time: z.number().nullish(),
  external_id: z.string().nullish(),
  outputs: z.array(Output).nullish(),
  billing: z.array(Charge).nullish(),
});

const Envelope = <T extends z.ZodType>(data: T) =>
  z.object({ code: z.literal(0), message: z.string().nullish(), data });

export const NewTaskEnvelope = Envelope(NewTask);
export const NewQueryEnvelope = Envelope(z.array(NewTask));
export const NewListEnvelope = Envelope(
  z.object({
    result: z.array(NewTask),
    next_cursor: z.string().nullish(),
    has_more: z.boolean().nullish(),
  }),
);

/** What Kling charged, in units: unit charges as they are, cash converted at the list price (budget.ts). */
export function chargedUnits(billing: z.infer<typeof Charge>[] | null | undefined): string | undefined {
  if (!billing?.length) return undefined;
  let units = 0;
  for (const c of billing) units += c.charge_type === 'cash' ? c.amount / VIDEO_UNIT_USD : c.amount;
  return String(Math.round(units * 100) / 100);
}

export function fromNewTask(task: z.infer<typeof NewTask>): KlingTask {
  const outputs = task.outputs ?? [];
  const videos = outputs
    .filter((o) => o.type === 'video' || (o.type == null && o.id))
    .map((o) => ({ id: o.id ?? '', url: o.url, ...(o.duration ? { duration: o.duration } : {}) }));
  const images = outputs.filter((o) => o.type === 'image').map((o, index) => ({ index, url: o.url }));
  const credits = chargedUnits(task.billing);
  return {
    taskId: task.id,
    status: task.status === 'succeeded' ? 'succeed' : task.status,
    ...(task.message ? { statusMsg: task.message } : {}),
    ...(task.external_id ? { externalTaskId: task.external_id } : {}),
    ...(task.create_time != null ? { createdAt: task.create_time } : {}),
    ...(task.update_time != null ? { updatedAt: task.update_time } : {}),
    ...(videos.length || images.length ? { result: { videos, images } } : {}),
    ...(credits !== undefined ? { credits } : {}),
  };
}
