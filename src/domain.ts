import { z } from 'zod';
import { OmniRequest, StoryboardRequest } from './omni/request.js';

/** The generation kinds the bot offers; each has its own Kling path. */
export const TaskKind = z.enum(['text2video', 'image2video', 'image', 'extend', 'omni', 'storyboard']);
export type TaskKind = z.infer<typeof TaskKind>;

export const Platform = z.enum(['discord', 'slack', 'console']);
export type Platform = z.infer<typeof Platform>;

/**
 * `pending`: written, not yet accepted by Kling. `queued`: Kling said the account is at its
 * concurrency or rate limit (1303/1302); the task waits in our durable queue.
 */
export const TaskState = z.enum(['pending', 'queued', 'submitted', 'processing', 'succeed', 'failed']);
export type TaskState = z.infer<typeof TaskState>;

export const FINAL_STATES: ReadonlySet<TaskState> = new Set(['succeed', 'failed']);
export const isFinal = (state: TaskState): boolean => FINAL_STATES.has(state);

export const Mode = z.enum(['std', 'pro']);
/** A video's output resolution (legacy `mode`: std = 720p, pro = 1080p). */
export const VideoResolution = z.enum(['720p', '1080p', '4k']);
/** Seconds, as the string Kling takes (`"5"`); which values a model takes is the capability table's business. */
export const Duration = z.string().regex(/^\d{1,2}$/);
/** Whether the video has sound (`sound` at Kling); absent on records from before it existed. */
export const Sound = z.enum(['on', 'off']);
/** Any `W:H` ratio; which ones a model takes is the capability table's (and Kling's) business. */
export const AspectRatio = z.string().regex(/^[1-9]\d{0,2}:[1-9]\d{0,2}$/);
export const VideoAspect = AspectRatio;
export const ImageAspect = AspectRatio;
/** Which of Kling's API standards carries a task: fixed when its record is written, so it outlives config changes. */
export const Standard = z.enum(['new', 'legacy']);
export type Standard = z.infer<typeof Standard>;

/** What is sent to Kling, normalised (defaults resolved) so Regenerate can replay it exactly. */
export const GenerationRequest = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('text2video'),
    prompt: z.string(),
    negative_prompt: z.string().optional(),
    model: z.string(),
    mode: Mode,
    /** Asked as a resolution (`--res`); 4k has no legacy mode and exists on the new standard only. */
    resolution: VideoResolution.optional(),
    duration: Duration,
    aspect_ratio: VideoAspect,
    cfg_scale: z.number().optional(),
    sound: Sound.optional(),
  }),
  z.object({
    kind: z.literal('image2video'),
    image: z.string(),
    /** End frame (Kling's `image_tail`): a URL, or base64 without a `data:` prefix. */
    image_tail: z.string().optional(),
    prompt: z.string().optional(),
    negative_prompt: z.string().optional(),
    model: z.string(),
    mode: Mode,
    resolution: VideoResolution.optional(),
    duration: Duration,
    cfg_scale: z.number().optional(),
    sound: Sound.optional(),
  }),
  z.object({
    /** A finished video, 4–5 s longer (Kling's video-extend: same model and mode as the source). */
    kind: z.literal('extend'),
    /** Our id of the task whose video this extends; the card links to it. */
    parentTaskId: z.string(),
    /** Kling's id of the source video (`task_result.videos[].id`). */
    video_id: z.string(),
    /** The source video's link, for the card's link to its parent. */
    parentVideoUrl: z.string().optional(),
    prompt: z.string().optional(),
    negative_prompt: z.string().optional(),
    /** Copied from the source, for the card, the estimate and the table's extend rule (Kling takes neither). */
    model: z.string(),
    mode: Mode,
    /** The kind the first video of the chain was made as (the table's row for the model). */
    sourceKind: z.enum(['text2video', 'image2video']),
    /** Length of the source video, seconds. */
    sourceSeconds: z.number(),
  }),
  z.object({
    kind: z.literal('image'),
    prompt: z.string(),
    negative_prompt: z.string().optional(),
    model: z.string(),
    aspect_ratio: ImageAspect,
    n: z.number().int(),
  }),
  OmniRequest,
  StoryboardRequest,
]);
export type GenerationRequest = z.infer<typeof GenerationRequest>;

/** Where a task was asked for. `guildId` is the Discord server or the Slack workspace. */
export const TaskScope = z.object({
  platform: Platform,
  guildId: z.string(),
  channelId: z.string(),
  userId: z.string(),
  userName: z.string(),
});
export type TaskScope = z.infer<typeof TaskScope>;

export const TaskResult = z.object({
  videos: z.array(z.object({ id: z.string(), url: z.string(), duration: z.string().optional() })).default([]),
  images: z.array(z.object({ index: z.number(), url: z.string() })).default([]),
});
export type TaskResult = z.infer<typeof TaskResult>;

/**
 * A result's copy on the chat platform (src/media): uploaded under `filename`, or why not. Keyed by
 * Kling's link, which the record keeps in `result` (Extend and Edit need Kling's own copy).
 */
export const MediaCopy = z.object({
  url: z.string(),
  outcome: z.enum(['uploaded', 'too_large', 'failed', 'gone']),
  filename: z.string().optional(),
  bytes: z.number().optional(),
  /** The platform's cap when it was too large. */
  limit: z.number().optional(),
  at: z.number(),
});
export type MediaCopy = z.infer<typeof MediaCopy>;

/** A platform's own reference to a posted card (message id, token…); only its adapter reads it. */
export const CardHandle = z.record(z.string(), z.unknown());
export type CardHandle = z.infer<typeof CardHandle>;

export const TaskRecord = z.object({
  id: z.string(),
  scope: TaskScope,
  request: GenerationRequest,
  state: TaskState,
  /** The Kling API standard that carries it; absent on records from before the new one (legacy). */
  standard: Standard.optional(),
  klingTaskId: z.string().optional(),
  /** Provider percentage when a gateway reports one. */
  progress: z.number().optional(),
  statusMsg: z.string().optional(),
  /** Our own failure (refused create, lost task), as a stable code for rendering. */
  failureCode: z.string().optional(),
  result: TaskResult.optional(),
  credits: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
  submittedAt: z.number().optional(),
  processingAt: z.number().optional(),
  finishedAt: z.number().optional(),
  /**
   * When Kling says the task ended (its `updated_at` on the final answer, Kling's clock). Tasks seen
   * ending in one poll share `finishedAt`; their finals are written in this order.
   */
  doneAt: z.number().optional(),
  /** Set while the provider is misbehaving; the card says "delayed". */
  delayedSince: z.number().optional(),
  /** Set while waiting in our queue after 1303/1302. */
  queuedAt: z.number().optional(),
  card: CardHandle.optional(),
  /** Hash of the card view last shown, so a restarted bot does not repeat an edit. */
  cardSig: z.string().optional(),
  /** The card has shown the final state (or is gone); until then a restart re-shows it. */
  finalShown: z.boolean().optional(),
  regeneratedFrom: z.string().optional(),
  /**
   * What the task counts against the daily unit budgets, in video units (src/budget.ts): the
   * estimate it was admitted on, and once it ends what Kling charged (`settled`). Only the store
   * writes it. Absent on records from before budgets existed.
   */
  budget: z
    .object({
      units: z.number().min(0),
      settled: z.boolean().optional(),
      charged: z.number().min(0).optional(),
      /** It lost a race and was given back (src/store/units-ledger.ts). */
      released: z.boolean().optional(),
    })
    .optional(),
  /** The results' copies on the platform, once decided (absent on tasks from before uploads). */
  media: z.array(MediaCopy).optional(),
  deleted: z.boolean().optional(),
  /** Its card is to be the interaction's own answer, not sent yet: nothing creates it (tracker/unanswered.ts). */
  unanswered: z.boolean().optional(),
  /** The tracker lease epoch that last sent (or was about to send) its create (see tracker/create-guard.ts). */
  createEpoch: z.number().optional(),
});
export type TaskRecord = z.infer<typeof TaskRecord>;

/** Kling's path segment per kind. */
export const KLING_PATHS: Record<TaskKind, string> = {
  text2video: '/v1/videos/text2video',
  image2video: '/v1/videos/image2video',
  image: '/v1/images/generations',
  extend: '/v1/videos/video-extend',
  // Legacy text-to-video has no multi-shot: a storyboard goes to omni-video there (docs/sources.md, "Omni").
  omni: '/v1/videos/omni-video',
  storyboard: '/v1/videos/omni-video',
};

/** A task needs a tracker while it runs, and until its card has shown how it ended. */
export const needsTracking = (r: Pick<TaskRecord, 'state' | 'card' | 'finalShown' | 'deleted'>): boolean =>
  !isFinal(r.state) || (r.card !== undefined && !r.finalShown && !r.deleted);
