import { z } from 'zod';

/**
 * What each Kling model takes, per kind, as data (issue 11). Everything the bot decides about a
 * model — which options Discord suggests, what is refused before Kling is called, what the
 * simulator refuses, what a task is expected to cost — reads this table and nothing else.
 *
 * Sources: "REF Kling n" is REFERENCE.md §Kling API item n; "REF current" is REFERENCE.md
 * §"Kling, current surface". Rows marked `gw: true` come from a gateway's copy of the docs:
 * probable, not certain. A fact no source states is written down in `assumed`, so it can be told
 * apart from what a source says.
 *
 * Unit figures: no source in REFERENCE.md gives Kling's units per task. The figures below are an
 * ASSUMPTION (the shape of Kling's public API price list as remembered: units per 5 s, pro dearer
 * than std, "master" models the dearest); they only feed the estimate a running card shows, which
 * is labelled as one. The finished card shows Kling's own `final_unit_deduction`.
 *
 * A model that is not in the table is sent to Kling as given, under the generic rules
 * (`GENERIC`): a new Kling model never needs a release of the bot.
 */

export const CapabilityKind = z.enum(['text2video', 'image2video', 'image']);
export type CapabilityKind = z.infer<typeof CapabilityKind>;

const ModeName = z.enum(['std', 'pro']);
type ModeName = z.infer<typeof ModeName>;

const Durations = z.union([
  z.object({ oneOf: z.array(z.string().regex(/^\d{1,2}$/)).min(1) }),
  z.object({ min: z.number().int().min(1), max: z.number().int().max(60) }),
]);
export type Durations = z.infer<typeof Durations>;

const Units = z.object({
  /** Units per 5 seconds of video, per mode. */
  per5s: z.partialRecord(ModeName, z.number().positive()).optional(),
  /** Units per image (images/generations). */
  perImage: z.number().positive().optional(),
  /** Multiplier when sound is on. */
  soundFactor: z.number().positive().optional(),
  /** Where the figure comes from; `assumption` unless a source gives it. */
  basis: z.string().min(1),
});

export const CapabilityRow = z
  .object({
    model: z.string().regex(/^kling-[a-z0-9-]+$/),
    kind: CapabilityKind,
    /** REFERENCE.md section (and the docs it copies) that this row rests on. */
    source: z.string().min(1),
    /** From a gateway's copy of the docs: probable, not certain. */
    gw: z.boolean().default(false),
    /** What no source states and this row assumes. */
    assumed: z.string().optional(),
    /** Video: the modes the model runs in; a single mode with `modeChoice: false` means the model has no mode. */
    modes: z.array(ModeName).min(1).optional(),
    /** False: the model has no mode choice, `mode` is not sent at all. */
    modeChoice: z.boolean().default(true),
    durations: Durations.optional(),
    aspectRatios: z.array(z.string()).optional(),
    /** `cfg_scale` is accepted (not by v2.x). */
    cfgScale: z.boolean().default(false),
    /** Modes in which `sound: on` is accepted; empty: the model makes silent video only. */
    soundModes: z.array(ModeName).default([]),
    /** Modes in which an end frame (`image_tail`) is accepted (image2video). */
    endFrameModes: z.array(ModeName).default([]),
    /** Images: the largest `n`. */
    maxImages: z.number().int().min(1).optional(),
    /** A finished video of this model can be extended (video-extend). */
    extend: z.boolean().default(false),
    units: Units,
  })
  .superRefine((row, ctx) => {
    const need = (ok: unknown, what: string) => {
      if (!ok) ctx.addIssue({ code: 'custom', message: `${row.model}/${row.kind}: ${what}` });
    };
    if (row.kind === 'image') {
      need(row.maxImages && row.aspectRatios?.length, 'an image row needs maxImages and aspectRatios');
      need(row.units.perImage, 'an image row needs units.perImage');
    } else {
      need(row.modes && row.durations, 'a video row needs modes and durations');
      need(
        row.modes?.every((m) => row.units.per5s?.[m] !== undefined),
        'a video row needs units.per5s for each of its modes',
      );
      need(
        row.kind === 'text2video' ? row.aspectRatios?.length : row.aspectRatios === undefined,
        'text2video rows list aspect ratios; image2video rows have none (REF Kling 5)',
      );
      need(row.kind === 'image2video' || row.endFrameModes.length === 0, 'an end frame exists only for image2video');
      need(
        [...row.soundModes, ...row.endFrameModes].every((m) => row.modes?.includes(m)),
        'sound and end-frame modes must be modes of the model',
      );
    }
  });
export type CapabilityRow = z.infer<typeof CapabilityRow>;

const VIDEO_ASPECTS = ['16:9', '9:16', '1:1'];
const IMAGE_ASPECTS = ['16:9', '9:16', '1:1', '4:3', '3:4', '3:2', '2:3', '21:9'];
const FIVE_OR_TEN = { oneOf: ['5', '10'] };
const ASSUMED_UNITS = 'assumption: no source gives units (see the header of this file)';
const EXTEND_ASSUMED = 'which models video-extend takes is in no source; assumed every video model';

type RowInput = z.input<typeof CapabilityRow>;

/** One model's video rows (text2video and, where it exists, image2video) share everything but the kind's own fields. */
function videoRows(
  base: Omit<RowInput, 'kind' | 'aspectRatios' | 'endFrameModes'> & {
    kinds: readonly ('text2video' | 'image2video')[];
    endFrameModes?: ModeName[];
  },
): RowInput[] {
  const { kinds, endFrameModes, ...common } = base;
  return kinds.map((kind) =>
    kind === 'text2video'
      ? { ...common, kind, aspectRatios: VIDEO_ASPECTS }
      : { ...common, kind, ...(endFrameModes ? { endFrameModes } : {}) },
  );
}

const ROWS: RowInput[] = [
  ...videoRows({
    model: 'kling-v1',
    kinds: ['text2video', 'image2video'],
    source: 'REF Kling 4–5 (official docs: text-to-video, image-to-video)',
    modes: ['std', 'pro'],
    durations: FIVE_OR_TEN,
    cfgScale: true,
    extend: true,
    assumed: EXTEND_ASSUMED,
    units: { per5s: { std: 1, pro: 3.5 }, basis: ASSUMED_UNITS },
  }),
  ...videoRows({
    model: 'kling-v1-5',
    kinds: ['image2video'],
    source: 'REF current: models (image2video adds kling-v1-5); end frame needs pro from v1.5',
    modes: ['std', 'pro'],
    durations: FIVE_OR_TEN,
    cfgScale: true,
    endFrameModes: ['pro'],
    extend: true,
    assumed: EXTEND_ASSUMED,
    units: { per5s: { std: 2, pro: 3.5 }, basis: ASSUMED_UNITS },
  }),
  ...videoRows({
    model: 'kling-v1-6',
    kinds: ['text2video', 'image2video'],
    source: 'REF Kling 4; REF current: models, end frame needs pro on v1.5–v2.6',
    modes: ['std', 'pro'],
    durations: FIVE_OR_TEN,
    cfgScale: true,
    endFrameModes: ['pro'],
    extend: true,
    assumed: EXTEND_ASSUMED,
    units: { per5s: { std: 2, pro: 3.5 }, basis: ASSUMED_UNITS },
  }),
  ...videoRows({
    model: 'kling-v2-master',
    kinds: ['text2video', 'image2video'],
    source: 'REF Kling 4; REF current: v2-master has no mode choice, no cfg_scale on v2.x',
    modes: ['std'],
    modeChoice: false,
    durations: FIVE_OR_TEN,
    extend: true,
    assumed: `no source says whether a model without modes takes an end frame: assumed not. ${EXTEND_ASSUMED}`,
    units: { per5s: { std: 10 }, basis: ASSUMED_UNITS },
  }),
  ...videoRows({
    model: 'kling-v2-1',
    kinds: ['image2video'],
    source: 'REF current: models (image2video adds kling-v2-1), end frame needs pro on v1.5–v2.6, no cfg_scale on v2.x',
    modes: ['std', 'pro'],
    durations: FIVE_OR_TEN,
    endFrameModes: ['pro'],
    extend: true,
    assumed: EXTEND_ASSUMED,
    units: { per5s: { std: 2, pro: 3.5 }, basis: ASSUMED_UNITS },
  }),
  ...videoRows({
    model: 'kling-v2-1-master',
    kinds: ['text2video', 'image2video'],
    source: 'REF Kling 4; REF current: v2-1-master has no mode choice, no cfg_scale on v2.x',
    modes: ['std'],
    modeChoice: false,
    durations: FIVE_OR_TEN,
    extend: true,
    assumed: `no source says whether a model without modes takes an end frame: assumed not. ${EXTEND_ASSUMED}`,
    units: { per5s: { std: 10 }, basis: ASSUMED_UNITS },
  }),
  ...videoRows({
    model: 'kling-v2-5-turbo',
    kinds: ['text2video', 'image2video'],
    source: 'REF Kling 4; REF current: v2.5 std|pro at 5|10 s, end frame needs pro, no cfg_scale on v2.x',
    modes: ['std', 'pro'],
    durations: FIVE_OR_TEN,
    endFrameModes: ['pro'],
    extend: true,
    assumed: EXTEND_ASSUMED,
    units: { per5s: { std: 1.5, pro: 2.5 }, basis: ASSUMED_UNITS },
  }),
  ...videoRows({
    model: 'kling-v2-6',
    kinds: ['text2video', 'image2video'],
    source: 'REF current [gw]: v2.6 std|pro at 5|10 s, sound on|off in pro only, end frame needs pro',
    gw: true,
    modes: ['std', 'pro'],
    durations: FIVE_OR_TEN,
    soundModes: ['pro'],
    endFrameModes: ['pro'],
    extend: true,
    assumed: EXTEND_ASSUMED,
    units: { per5s: { std: 1.5, pro: 2.5 }, soundFactor: 2, basis: ASSUMED_UNITS },
  }),
  ...videoRows({
    model: 'kling-v3',
    kinds: ['text2video', 'image2video'],
    source: 'REF current [gw]: v3 duration 3–15 s, std = 720p, pro = 1080p, sound on|off',
    gw: true,
    modes: ['std', 'pro'],
    durations: { min: 3, max: 15 },
    soundModes: ['std', 'pro'],
    endFrameModes: ['std', 'pro'],
    extend: true,
    assumed: `cfg_scale on v3 is in no source: assumed refused like v2.x. The end frame's pro-only rule is stated for v1.5–v2.6; assumed any mode on v3. ${EXTEND_ASSUMED}`,
    units: { per5s: { std: 3, pro: 4 }, soundFactor: 1.5, basis: ASSUMED_UNITS },
  }),
  ...['kling-v1', 'kling-v1-5', 'kling-v2', 'kling-v2-new', 'kling-v2-1'].map((model): RowInput => ({
    model,
    kind: 'image',
    source: 'REF Kling 6 (official docs: image-generation: n 1–9, aspect ratios); REF current: image models',
    aspectRatios: IMAGE_ASPECTS,
    maxImages: 9,
    units: { perImage: model.startsWith('kling-v1') ? 0.25 : 1, basis: ASSUMED_UNITS },
  })),
];

/** The table, validated once at start: a bad row is a programming error and fails every test. */
export const CAPABILITIES: readonly CapabilityRow[] = z.array(CapabilityRow).parse(ROWS);

/** What a model not in the table gets: any mode, the durations any model takes, sent as given. */
export const GENERIC = {
  modes: ['std', 'pro'] as readonly ModeName[],
  durations: { min: 3, max: 15 } as Durations,
  videoAspects: VIDEO_ASPECTS,
  imageAspects: IMAGE_ASPECTS,
  maxImages: 9,
} as const;

export const rowFor = (
  model: string,
  kind: CapabilityKind,
  table: readonly CapabilityRow[] = CAPABILITIES,
): CapabilityRow | undefined => table.find((r) => r.model === model && r.kind === kind);

/** Models of one kind, in table order (oldest first). */
export const modelsFor = (kind: CapabilityKind, table: readonly CapabilityRow[] = CAPABILITIES): string[] =>
  table.filter((r) => r.kind === kind).map((r) => r.model);

/** The model is known, but for other kinds only. */
export const knownElsewhere = (
  model: string,
  kind: CapabilityKind,
  table: readonly CapabilityRow[] = CAPABILITIES,
): boolean => !rowFor(model, kind, table) && table.some((r) => r.model === model);

export function durationAllowed(d: Durations, value: string): boolean {
  if ('oneOf' in d) return d.oneOf.includes(value);
  const n = Number(value);
  return /^\d{1,2}$/.test(value) && n >= d.min && n <= d.max;
}

export const durationsText = (d: Durations): string =>
  'oneOf' in d ? `${d.oneOf.join(' or ')} seconds` : `${d.min} to ${d.max} seconds`;

/** Every duration any model of any kind takes (what the option schemas accept before the table decides). */
export function allDurations(table: readonly CapabilityRow[] = CAPABILITIES): string[] {
  const values = new Set<number>();
  const add = (d: Durations) => {
    if ('oneOf' in d) for (const v of d.oneOf) values.add(Number(v));
    else for (let n = d.min; n <= d.max; n++) values.add(n);
  };
  add(GENERIC.durations);
  for (const r of table) if (r.durations) add(r.durations);
  return [...values].sort((a, b) => a - b).map(String);
}

/** One line per model for help texts and autocomplete: what it takes, in words. */
export function modelSummary(row: CapabilityRow): string {
  const parts: string[] = [];
  if (row.kind === 'image') parts.push(`up to ${row.maxImages} images`);
  else {
    if (row.durations)
      parts.push(
        'oneOf' in row.durations ? `${row.durations.oneOf.join('|')} s` : `${row.durations.min}–${row.durations.max} s`,
      );
    parts.push(row.modeChoice ? (row.modes ?? []).join('|') : 'one mode');
    if (row.soundModes.length)
      parts.push(row.soundModes.length === (row.modes ?? []).length ? 'sound' : `sound in ${row.soundModes.join('|')}`);
    if (row.endFrameModes.length)
      parts.push(
        row.endFrameModes.length === (row.modes ?? []).length
          ? 'end frame'
          : `end frame in ${row.endFrameModes.join('|')}`,
      );
    if (row.cfgScale) parts.push('cfg');
  }
  return parts.join(', ');
}
