import type { RowInput } from './capabilities.js';

/**
 * Kling's models, one row per model and kind, from Kling's own documentation and price list.
 * Where only gateways state a fact (chiefly which legacy `model_name` is which new id), the row
 * says `gw: true`. Nothing here is guessed: a fact no source states is left out (no extend, no
 * price), and the bot then lets Kling decide.
 */

const DOCS = 'https://app.klingai.com/global/dev/document-api';
const LEGACY_DOCS = `${DOCS} (legacy standard: text-to-video, image-to-video, image-generation)`;
const NEW_DOCS = `${DOCS} (new standard: model in the path, update log 2026-06-17 and 2026-07-15)`;
/** Gateways' copies of Kling's docs, where the legacy name of each new id is given. */
const PAIRING = 'legacy model_name pairing as gateways list it (https://apidoc.cometapi.com, https://docs.comfy.org)';
const PRICES = `Kling's API price list (${DOCS}): 1 video unit = $0.14, charged per second of output`;
const EXTEND = `${DOCS} (video-extend: documented for v1.x models)`;

const VIDEO_ASPECTS = ['16:9', '9:16', '1:1'];
const IMAGE_ASPECTS = ['16:9', '9:16', '1:1', '4:3', '3:4', '3:2', '2:3', '21:9'];
const FIVE_OR_TEN = { oneOf: [5, 10] };
const THREE_TO_FIFTEEN = { min: 3, max: 15 };
const LEGACY_RES: RowInput['resolutions'] = ['720p', '1080p'];

type VideoKind = 'text2video' | 'image2video';
type Shared = Omit<RowInput, 'kind' | 'aspectRatios' | 'endFrame'> & { endFrame?: RowInput['endFrame'] };

/** One model's text- and image-to-video rows share everything but the kind's own fields. */
function video(kinds: readonly VideoKind[], shared: Shared): RowInput[] {
  const { endFrame, ...common } = shared;
  return kinds.map((kind) =>
    kind === 'text2video'
      ? { ...common, kind, aspectRatios: VIDEO_ASPECTS }
      : { ...common, kind, ...(endFrame ? { endFrame } : {}) },
  );
}

export const BUILT_IN_ROWS: RowInput[] = [
  // Legacy-only models (Kling docs: the legacy text-to-video/image-to-video pages): no published per-second price.
  ...video(['text2video', 'image2video'], {
    name: 'Kling 1.0',
    legacy: 'kling-v1',
    source: `${LEGACY_DOCS}; ${EXTEND}`,
    resolutions: LEGACY_RES,
    durations: FIVE_OR_TEN,
    cfgScale: true,
    extend: true,
  }),
  ...video(['image2video'], {
    name: 'Kling 1.5',
    legacy: 'kling-v1-5',
    source: `${LEGACY_DOCS}; end frame in pro from v1.5; ${EXTEND}`,
    resolutions: LEGACY_RES,
    durations: FIVE_OR_TEN,
    cfgScale: true,
    endFrame: ['1080p'],
    extend: true,
  }),
  ...video(['text2video', 'image2video'], {
    name: 'Kling 1.6',
    legacy: 'kling-v1-6',
    source: `${LEGACY_DOCS}; end frame in pro on v1.5–v2.6; ${EXTEND}`,
    resolutions: LEGACY_RES,
    durations: FIVE_OR_TEN,
    cfgScale: true,
    endFrame: ['1080p'],
    extend: true,
  }),
  ...video(['text2video', 'image2video'], {
    name: 'Kling 2.0 Master',
    legacy: 'kling-v2-master',
    source: `${LEGACY_DOCS}; no mode choice, no cfg_scale on v2.x`,
    resolutions: ['720p'],
    modeChoice: false,
    durations: FIVE_OR_TEN,
  }),
  ...video(['image2video'], {
    name: 'Kling 2.1',
    legacy: 'kling-v2-1',
    source: `${LEGACY_DOCS}; end frame in pro on v1.5–v2.6`,
    resolutions: LEGACY_RES,
    durations: FIVE_OR_TEN,
    endFrame: ['1080p'],
  }),
  ...video(['text2video', 'image2video'], {
    name: 'Kling 2.1 Master',
    legacy: 'kling-v2-1-master',
    source: `${LEGACY_DOCS}; no mode choice, no cfg_scale on v2.x`,
    resolutions: ['720p'],
    modeChoice: false,
    durations: FIVE_OR_TEN,
  }),
  // On both standards since 2026-07-15 (new ids from Kling's docs; the legacy names per gateways).
  ...video(['text2video', 'image2video'], {
    name: 'Kling 2.5 Turbo',
    id: 'kling-2.5-turbo',
    legacy: 'kling-v2-5-turbo',
    source: `${NEW_DOCS}; ${PAIRING}; first+last frame → 1080p`,
    gw: true,
    resolutions: LEGACY_RES,
    durations: FIVE_OR_TEN,
    endFrame: ['1080p'],
    units: { perSecond: { '720p': 0.3, '1080p': 0.5 }, source: PRICES },
  }),
  ...video(['text2video', 'image2video'], {
    name: 'Kling 2.6',
    id: 'kling-2.6',
    legacy: 'kling-v2-6',
    source: `${NEW_DOCS}; ${PAIRING}; audio or first+last frame → 1080p`,
    gw: true,
    resolutions: LEGACY_RES,
    durations: FIVE_OR_TEN,
    audio: ['1080p'],
    endFrame: ['1080p'],
    units: { perSecond: { '720p': 0.3, '1080p': 0.5 }, audioPerSecond: { '1080p': 1.0 }, source: PRICES },
  }),
  ...video(['text2video', 'image2video'], {
    name: 'Kling 3.0',
    id: 'kling-3.0',
    legacy: 'kling-v3',
    source: `${NEW_DOCS}; ${PAIRING}`,
    gw: true,
    resolutions: ['720p', '1080p', '4k'],
    durations: THREE_TO_FIFTEEN,
    audio: ['720p', '1080p', '4k'],
    multiShot: true,
    endFrame: ['720p', '1080p', '4k'],
    units: {
      perSecond: { '720p': 0.6, '1080p': 0.8, '4k': 3.0 },
      audioPerSecond: { '720p': 0.9, '1080p': 1.2, '4k': 3.0 },
      source: PRICES,
    },
  }),
  // New standard only. Its pages have no audio field while its prices are for audio (the figures below).
  ...video(['text2video', 'image2video'], {
    name: 'Kling 3.0 Turbo',
    id: 'kling-3.0-turbo',
    source: `${NEW_DOCS}; first frame only, multi-shot by prompt`,
    resolutions: ['720p', '1080p'],
    durations: THREE_TO_FIFTEEN,
    multiShot: true,
    units: { perSecond: { '720p': 0.8, '1080p': 1.0 }, source: `${PRICES} (listed with audio)` },
  }),
  {
    name: 'Kling 3.0 Omni',
    id: 'kling-3.0-omni',
    legacy: 'kling-v3-omni',
    kind: 'omni',
    source: `${NEW_DOCS}; ${PAIRING}`,
    gw: true,
    resolutions: ['720p', '1080p', '4k'],
    durations: THREE_TO_FIFTEEN,
    aspectRatios: VIDEO_ASPECTS,
    audio: ['720p', '1080p', '4k'],
    multiShot: true,
    references: 7,
    referenceVideo: { minSeconds: 3, maxSeconds: 15.5, minSide: 700, maxSide: 4553, maxArea: 8_294_400 },
    units: {
      perSecond: { '720p': 0.6, '1080p': 0.8, '4k': 3.0 },
      audioPerSecond: { '720p': 0.8, '1080p': 1.0, '4k': 3.0 },
      source: PRICES,
    },
  },
  {
    name: 'Kling O1',
    id: 'kling-o1',
    legacy: 'kling-video-o1',
    kind: 'omni',
    source: `${NEW_DOCS}; ${PAIRING}`,
    gw: true,
    resolutions: ['720p', '1080p'],
    durations: { min: 3, max: 10 },
    aspectRatios: VIDEO_ASPECTS,
    references: 7,
    referenceVideo: { minSeconds: 3, maxSeconds: 10, minSide: 700, maxSide: 2160 },
    units: { perSecond: { '720p': 0.6, '1080p': 0.8 }, source: PRICES },
  },
  // Images: legacy standard only (/v1/images/generations), about 8 image units each.
  ...(
    [
      ['Kling 1.0 Image', 'kling-v1'],
      ['Kling 1.5 Image', 'kling-v1-5'],
      ['Kling 2.0 Image', 'kling-v2'],
      ['Kling 2.0 Image (new)', 'kling-v2-new'],
      ['Kling 2.1 Image', 'kling-v2-1'],
      ['Kling 3.0 Image', 'kling-v3'],
    ] as const
  ).map(([name, legacy]): RowInput => ({
    name,
    legacy,
    kind: 'image',
    source: `${DOCS} (legacy image-generation: n 1–9, 1k/2k, eight aspect ratios)`,
    resolutions: ['1k', '2k'],
    aspectRatios: IMAGE_ASPECTS,
    maxImages: 9,
    units: { perImage: 8, source: `${PRICES}; images about 8 image units each` },
  })),
];
