import { z } from 'zod';
import { Resolution } from './resolution.js';

/**
 * The omni tasks as the bot records them (what Regenerate replays): a video from reference images,
 * an edit of a finished video, a storyboard. Defaults are resolved before the record is written.
 */

const Sound = z.enum(['on', 'off']);
const Seconds = z.number().int().min(1).max(60);

/** The finished video an edit starts from: Kling's own copy, which Kling can fetch (never the platform's). */
export const EditSourceRef = z.object({
  /** Our id of the source task; the card links to it. */
  parentTaskId: z.string(),
  /** Kling's video id and URL from the source's result. */
  video_id: z.string().optional(),
  video_url: z.string(),
  /** Its length, seconds (an edit keeps it). */
  seconds: z.number().optional(),
});
export type EditSourceRef = z.infer<typeof EditSourceRef>;

export const OmniRequest = z.object({
  kind: z.literal('omni'),
  /** As the user wrote it: references as `@image_n` (Kling's new-standard syntax). */
  prompt: z.string(),
  model: z.string(),
  resolution: Resolution,
  /** Absent for an edit: the result keeps the source's length. */
  duration: z
    .string()
    .regex(/^\d{1,2}$/)
    .optional(),
  /** Needed without a base video (docs/sources.md, "Omni": required without first frame or base video). */
  aspect_ratio: z.string().optional(),
  sound: Sound.optional(),
  /** Reference images, image_1 first: URLs or bare base64 (never a `data:` prefix). */
  images: z.array(z.string()).max(7).default([]),
  /**
   * When the image URLs stop working (Discord's attachment links expire after about a day; Kling
   * reads them only at create time), so Regenerate after it can say why it cannot.
   */
  imagesExpireAt: z.number().optional(),
  /** Set for an edit: the video to change. */
  edit: EditSourceRef.optional(),
});
export type OmniRequest = z.infer<typeof OmniRequest>;

export const StoryboardRequest = z.object({
  kind: z.literal('storyboard'),
  shots: z
    .array(z.object({ seconds: Seconds, prompt: z.string() }))
    .min(1)
    .max(6),
  /** The multi-shot model (new standard: text-to-video with the shot syntax). */
  model: z.string(),
  /** The omni model that carries it on the legacy standard, where text-to-video has no multi-shot. */
  legacyModel: z.string(),
  resolution: Resolution,
  aspect_ratio: z.string(),
  sound: Sound.optional(),
});
export type StoryboardRequest = z.infer<typeof StoryboardRequest>;
