import { z } from 'zod';

/**
 * What each Kling model takes, per kind, as facts with their source (issue 19). Everything the
 * bot decides about a model (which options Discord suggests, what is refused before Kling is
 * called, which API standard carries it, what a task is expected to cost) reads these rows. The
 * rows themselves are in `model-rows.ts`; an operator adds or corrects rows with KLING_MODELS_FILE
 * (`model-table.ts`), checked with this schema.
 */

export const CapabilityKind = z.enum(['text2video', 'image2video', 'omni', 'image']);
export type CapabilityKind = z.infer<typeof CapabilityKind>;

/**
 * A model id as Kling spells one, legacy (`kling-v2-5-turbo`) or new (`kling-3.0-turbo`): letters,
 * digits, single dots or dashes between them. It goes into a URL path on the new standard, so no
 * slash, no `..`, nothing to encode.
 */
export const MODEL_ID = /^kling-[a-z0-9]+(?:[.-][a-z0-9]+)*$/;
export const MODEL_ID_MAX = 40;
export const ModelId = z.string().max(MODEL_ID_MAX).regex(MODEL_ID, 'must look like kling-3.0-turbo or kling-v2-6');

/** Any `W:H` ratio; which ones a model takes is its row's business. */
export const ASPECT_RATIO = /^[1-9]\d{0,2}:[1-9]\d{0,2}$/;

export const Resolution = z.enum(['720p', '1080p', '4k']);
export type Resolution = z.infer<typeof Resolution>;
export const ImageResolution = z.enum(['1k', '2k', '4k']);

/** What the bot holds any duration to, known model or not; Kling decides the rest. */
export const DURATION_BOUNDS = { min: 1, max: 60 } as const;

const Seconds = z.number().int().min(DURATION_BOUNDS.min).max(DURATION_BOUNDS.max);
export const Durations = z.union([
  z.object({ oneOf: z.array(Seconds).min(1) }).strict(),
  z.object({ min: Seconds, max: Seconds }).strict(),
]);
export type Durations = z.infer<typeof Durations>;

const PerResolution = z.partialRecord(Resolution, z.number().positive());

const Units = z
  .object({
    /** Video units per second of output, by resolution, without audio. */
    perSecond: PerResolution.optional(),
    /** The same with native audio on. */
    audioPerSecond: PerResolution.optional(),
    /** Image units per image. */
    perImage: z.number().positive().optional(),
    /** Where the figures come from (a public URL or a named page of Kling's). */
    source: z.string().min(1),
  })
  .strict();

export const CapabilityRow = z
  .object({
    /** What people call the model; the card shows it. */
    name: z.string().min(1).max(40),
    /** The new standard's id (model in the path), where the model exists there. */
    id: ModelId.optional(),
    /** The legacy standard's `model_name`, where the model exists there. */
    legacy: ModelId.optional(),
    kind: CapabilityKind,
    /** Public pages this row rests on. */
    source: z.string().min(1),
    /** From a gateway's copy of Kling's docs, or a pairing only gateways state: probable, not certain. */
    gw: z.boolean().default(false),
    /** Video: 720p/1080p/4k (legacy `mode`: std = 720p, pro = 1080p). Images: 1k/2k/4k. */
    resolutions: z.array(z.union([Resolution, ImageResolution])).min(1),
    durations: Durations.optional(),
    aspectRatios: z.array(z.string().regex(ASPECT_RATIO)).optional(),
    /** Resolutions in which native audio (`sound`/`audio`) is offered; empty: silent only. */
    audio: z.array(Resolution).default([]),
    multiShot: z.boolean().default(false),
    /** Resolutions in which a start + end frame is taken (image-to-video). */
    endFrame: z.array(Resolution).default([]),
    /** Reference images/elements an omni model takes at most. */
    references: z.number().int().min(0).default(0),
    /** The one reference or base video an omni model takes: its length and frame limits (an edit's source). */
    referenceVideo: z
      .object({
        minSeconds: z.number().positive(),
        maxSeconds: z.number().positive(),
        minSide: z.number().int().positive(),
        maxSide: z.number().int().positive(),
        maxArea: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    /** Legacy `cfg_scale` (v1.x only; v2 and later refuse it, the new standard has none). */
    cfgScale: z.boolean().default(false),
    /** False: a legacy model without a mode (`mode` is not sent). */
    modeChoice: z.boolean().default(true),
    /** Kling documents video-extend for this model's videos. */
    extend: z.boolean().default(false),
    maxImages: z.number().int().min(1).max(9).optional(),
    units: Units.optional(),
  })
  .strict()
  .superRefine((row, ctx) => {
    const need = (ok: unknown, path: string, what: string) => {
      if (!ok) ctx.addIssue({ code: 'custom', path: [path], message: what });
    };
    need(row.id ?? row.legacy, 'id', 'a row needs a new id, a legacy model_name, or both');
    if (row.kind === 'image') {
      need(row.maxImages && row.aspectRatios?.length, 'maxImages', 'an image row needs maxImages and aspectRatios');
      need(!row.id, 'id', 'images exist on the legacy standard only: give `legacy`, not `id`');
      return;
    }
    need(row.durations, 'durations', 'a video row needs durations');
    need(
      row.resolutions.every((r) => Resolution.safeParse(r).success),
      'resolutions',
      'video resolutions are 720p, 1080p or 4k',
    );
    need(
      row.kind === 'image2video' ? row.aspectRatios === undefined : row.aspectRatios?.length,
      'aspectRatios',
      'image-to-video takes no aspect ratio (the image sets it); the other video kinds list theirs',
    );
    need(
      row.kind === 'image2video' || row.endFrame.length === 0,
      'endFrame',
      'an end frame exists only for image2video',
    );
    need(
      [...row.audio, ...row.endFrame].every((r) => (row.resolutions as string[]).includes(r)),
      'audio',
      'audio and end-frame resolutions must be resolutions of the model',
    );
  });
export type CapabilityRow = z.infer<typeof CapabilityRow>;
export type RowInput = z.input<typeof CapabilityRow>;

/** The id people see first: the new one where it exists. */
export const primaryId = (row: Pick<CapabilityRow, 'id' | 'legacy'>): string => row.id ?? row.legacy ?? '';

export const rowMatches = (row: CapabilityRow, model: string): boolean => row.id === model || row.legacy === model;

/** `mode` as the legacy standard spells a resolution. */
export const resolutionOfMode = (mode: string | undefined): Resolution => (mode === 'pro' ? '1080p' : '720p');

export function durationAllowed(d: Durations, seconds: number): boolean {
  return 'oneOf' in d ? d.oneOf.includes(seconds) : seconds >= d.min && seconds <= d.max;
}

export const durationsText = (d: Durations): string =>
  'oneOf' in d ? `${d.oneOf.join(' or ')} seconds` : `${d.min} to ${d.max} seconds`;

export function durationValues(d: Durations): number[] {
  if ('oneOf' in d) return [...d.oneOf];
  return Array.from({ length: d.max - d.min + 1 }, (_, i) => d.min + i);
}

/** One line per model for help texts and autocomplete: what it takes, in words. */
export function modelSummary(row: CapabilityRow): string {
  const parts: string[] = [row.name];
  if (row.id && row.legacy) parts.push(`also ${row.legacy}`);
  if (row.kind === 'image') parts.push(`up to ${row.maxImages} images`);
  else {
    if (row.durations)
      parts.push(
        'oneOf' in row.durations ? `${row.durations.oneOf.join('|')} s` : `${row.durations.min}–${row.durations.max} s`,
      );
    parts.push(row.resolutions.join('|'));
    if (row.audio.length)
      parts.push(row.audio.length === row.resolutions.length ? 'sound' : `sound at ${row.audio.join('|')}`);
    if (row.endFrame.length) parts.push('end frame');
    if (row.multiShot) parts.push('multi-shot');
    if (row.extend) parts.push('extend');
  }
  return parts.join(', ');
}

/** The table's kind for a request: an extension is its source's kind, a storyboard is text-to-video with shots. */
export function capabilityKindOf(req: { kind: string; sourceKind?: string }): CapabilityKind {
  if (req.kind === 'extend') return req.sourceKind === 'image2video' ? 'image2video' : 'text2video';
  return req.kind === 'storyboard' ? 'text2video' : CapabilityKind.parse(req.kind);
}
