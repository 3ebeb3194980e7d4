/**
 * The simulator's own copy of what Kling documents each model to take, written from Kling's docs
 * (https://app.klingai.com/global/dev/document-api) and gateways' copies of them, and kept apart
 * from the bot's capability table on purpose: the simulator refuses what Kling would refuse, so a
 * wrong row in the bot's table shows up as a failing test instead of being agreed with.
 */

export type SimStandard = 'legacy' | 'new';
/** The simulator's names for the kinds, per standard. */
export type LegacyVideoKind = 'text2video' | 'image2video';
export type NewVideoKind = 'text-to-video' | 'image-to-video' | 'omni-video';

interface Lengths {
  /** Allowed seconds. */
  seconds: readonly number[];
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const FIVE_TEN: Lengths = { seconds: [5, 10] };
const THREE_FIFTEEN: Lengths = { seconds: range(3, 15) };

/** A legacy `model_name` on /v1/videos/…: modes, lengths, what it refuses. */
export interface LegacyVideoModel {
  kinds: readonly LegacyVideoKind[];
  /** Empty: no mode choice; `mode` must not be sent. */
  modes: readonly ('std' | 'pro')[];
  lengths: Lengths;
  cfgScale: boolean;
  /** Modes in which `sound: on` is taken. */
  soundModes: readonly ('std' | 'pro')[];
  /** Modes in which `image_tail` is taken. */
  tailModes: readonly ('std' | 'pro')[];
  /** video-extend is documented for its videos. */
  extend: boolean;
}

const v1 = { cfgScale: true, soundModes: [], extend: true, lengths: FIVE_TEN, modes: ['std', 'pro'] } as const;
const v2 = { cfgScale: false, soundModes: [], extend: false, lengths: FIVE_TEN } as const;

export const LEGACY_VIDEO: Readonly<Record<string, LegacyVideoModel>> = {
  'kling-v1': { ...v1, kinds: ['text2video', 'image2video'], tailModes: [] },
  'kling-v1-5': { ...v1, kinds: ['image2video'], tailModes: ['pro'] },
  'kling-v1-6': { ...v1, kinds: ['text2video', 'image2video'], tailModes: ['pro'] },
  'kling-v2-master': { ...v2, kinds: ['text2video', 'image2video'], modes: [], tailModes: [] },
  'kling-v2-1': { ...v2, kinds: ['image2video'], modes: ['std', 'pro'], tailModes: ['pro'] },
  'kling-v2-1-master': { ...v2, kinds: ['text2video', 'image2video'], modes: [], tailModes: [] },
  'kling-v2-5-turbo': { ...v2, kinds: ['text2video', 'image2video'], modes: ['std', 'pro'], tailModes: ['pro'] },
  'kling-v2-6': {
    ...v2,
    kinds: ['text2video', 'image2video'],
    modes: ['std', 'pro'],
    soundModes: ['pro'],
    tailModes: ['pro'],
  },
  'kling-v3': {
    ...v2,
    kinds: ['text2video', 'image2video'],
    modes: ['std', 'pro'],
    lengths: THREE_FIFTEEN,
    soundModes: ['std', 'pro'],
    tailModes: ['std', 'pro'],
  },
};

export const LEGACY_VIDEO_ASPECTS: readonly string[] = ['16:9', '9:16', '1:1'];
export const LEGACY_IMAGE_MODELS: readonly string[] = [
  'kling-v1',
  'kling-v1-5',
  'kling-v2',
  'kling-v2-new',
  'kling-v2-1',
  'kling-v3',
];
export const LEGACY_IMAGE_ASPECTS: readonly string[] = ['16:9', '9:16', '1:1', '4:3', '3:4', '3:2', '2:3', '21:9'];

/** A new-standard id (the path segment): kinds, resolutions, lengths, audio, frames. */
export interface NewVideoModel {
  kinds: readonly NewVideoKind[];
  resolutions: readonly string[];
  lengths: Lengths;
  /** Values `settings.audio` takes; empty: the endpoints have no audio field. */
  audio: readonly string[];
  /** Resolutions at which `native` audio is made (the others are refused). */
  audioAt: readonly string[];
  lastFrame: boolean;
  /** Resolutions a last frame needs. */
  lastFrameAt: readonly string[];
  aspects: readonly string[];
  /** Video units per second: [without audio, with audio] by resolution (Kling's price list). */
  unitsPerSecond: Readonly<Record<string, readonly [number, number]>>;
}

const NEW_ASPECTS = ['16:9', '9:16', '1:1'];

export const NEW_VIDEO: Readonly<Record<string, NewVideoModel>> = {
  'kling-3.0-turbo': {
    kinds: ['text-to-video', 'image-to-video'],
    resolutions: ['720p', '1080p'],
    lengths: THREE_FIFTEEN,
    audio: [],
    audioAt: [],
    lastFrame: false,
    lastFrameAt: [],
    aspects: NEW_ASPECTS,
    unitsPerSecond: { '720p': [0.8, 0.8], '1080p': [1.0, 1.0] },
  },
  'kling-3.0': {
    kinds: ['text-to-video', 'image-to-video'],
    resolutions: ['720p', '1080p', '4k'],
    lengths: THREE_FIFTEEN,
    audio: ['native', 'off'],
    audioAt: ['720p', '1080p', '4k'],
    lastFrame: true,
    lastFrameAt: ['720p', '1080p', '4k'],
    aspects: NEW_ASPECTS,
    unitsPerSecond: { '720p': [0.6, 0.9], '1080p': [0.8, 1.2], '4k': [3.0, 3.0] },
  },
  'kling-2.6': {
    kinds: ['text-to-video', 'image-to-video'],
    resolutions: ['720p', '1080p'],
    lengths: FIVE_TEN,
    audio: ['native', 'off'],
    audioAt: ['1080p'],
    lastFrame: true,
    lastFrameAt: ['1080p'],
    aspects: NEW_ASPECTS,
    unitsPerSecond: { '720p': [0.3, 0.3], '1080p': [0.5, 1.0] },
  },
  'kling-2.5-turbo': {
    kinds: ['text-to-video', 'image-to-video'],
    resolutions: ['720p', '1080p'],
    lengths: FIVE_TEN,
    audio: [],
    audioAt: [],
    lastFrame: true,
    lastFrameAt: ['1080p'],
    aspects: NEW_ASPECTS,
    unitsPerSecond: { '720p': [0.3, 0.3], '1080p': [0.5, 0.5] },
  },
  'kling-3.0-omni': {
    kinds: ['omni-video'],
    resolutions: ['720p', '1080p', '4k'],
    lengths: THREE_FIFTEEN,
    audio: ['native', 'original', 'off'],
    audioAt: ['720p', '1080p', '4k'],
    lastFrame: true,
    lastFrameAt: ['720p', '1080p', '4k'],
    aspects: NEW_ASPECTS,
    unitsPerSecond: { '720p': [0.6, 0.8], '1080p': [0.8, 1.0], '4k': [3.0, 3.0] },
  },
  'kling-o1': {
    kinds: ['omni-video'],
    resolutions: ['720p', '1080p'],
    lengths: { seconds: range(3, 10) },
    audio: ['original', 'off'],
    audioAt: [],
    lastFrame: true,
    lastFrameAt: ['720p', '1080p'],
    aspects: NEW_ASPECTS,
    unitsPerSecond: { '720p': [0.6, 0.6], '1080p': [0.8, 0.8] },
  },
};

/** Fields the new standard has no place for (its pages list none of them). */
export const NEW_STANDARD_ABSENT = [
  'negative_prompt',
  'cfg_scale',
  'camera_control',
  'mode',
  'image_tail',
  'model_name',
];

/** A model the simulator's copy does not know but a test says Kling has: any length 1–60 s. */
export const GENERIC_LENGTHS: Lengths = { seconds: range(1, 60) };

/**
 * Legacy `POST /v1/videos/omni-video` (a gateway's copy of Kling's page, docs.hingnet.com.cn /
 * apidoc.cometapi.com): `model_name` kling-video-o1 (the default) or kling-v3-omni; inputs named
 * `<<<image_n>>>` in the prompt; ≤ 7 reference images without a video, ≤ 4 with one; one video,
 * `refer_type` feature | base; multi-shot only on v3-omni.
 */
export interface LegacyOmniModel {
  lengths: Lengths;
  /** `sound: on|off` is a field of this model. */
  sound: boolean;
  /** `multi_shot` + `multi_prompt` (1–6 shots of ≤ 512 characters, lengths summing to the duration). */
  multiShot: boolean;
  /** The input video's length, seconds. */
  videoSeconds: { min: number; max: number };
}

export const LEGACY_OMNI: Readonly<Record<string, LegacyOmniModel>> = {
  'kling-video-o1': {
    lengths: { seconds: range(3, 10) },
    sound: false,
    multiShot: false,
    videoSeconds: { min: 3, max: 10 },
  },
  'kling-v3-omni': { lengths: THREE_FIFTEEN, sound: true, multiShot: true, videoSeconds: { min: 3, max: 15.5 } },
};
export const LEGACY_OMNI_DEFAULT = 'kling-video-o1';
export const OMNI_IMAGES = { withoutVideo: 7, withVideo: 4 } as const;
export const OMNI_SHOTS = { max: 6, promptMax: 512 } as const;

/**
 * New standard multi-shot (Kling's capability map): 3.0 Turbo by the prompt's shot syntax, 3.0
 * and 3.0 Omni with `settings.multi_shot`; 2.6, 2.5 Turbo and O1 have none.
 */
export const NEW_MULTI_SHOT: readonly string[] = ['kling-3.0-turbo', 'kling-3.0', 'kling-3.0-omni'];
/** New standard omni-video: the one reference or base video's length, seconds, per model. */
export const NEW_OMNI_VIDEO_SECONDS: Readonly<Record<string, { min: number; max: number }>> = {
  'kling-3.0-omni': { min: 3, max: 15.5 },
  'kling-o1': { min: 3, max: 10 },
};
