import { legacyMultiShot, shotSyntaxPrompt } from './multi-shot.js';
import { legacyReferences, newStandardReferences } from './references.js';
import { LEGACY_MODE } from './resolution.js';
import type { OmniRequest, StoryboardRequest } from './request.js';
import { totalSeconds } from './storyboard.js';

/**
 * Kling's request bodies for the omni tasks, per API standard (docs/sources.md, "Omni:
 * references, edit, multi-shot"). Pure: the client picks the standard, the path and the
 * model id for it, and sends what these return.
 */

/** What the client adds to every create: our id (so a retry can't pay twice) and the callback. */
export interface CreateExtras {
  externalTaskId: string;
  callbackUrl?: string | undefined;
}

/** Kling takes base64 bare: a `data:image/…;base64,` prefix is cut. */
export function bareImage(ref: string): string {
  const m = /^data:[^,;]*(;[^,]*)?;base64,/i.exec(ref);
  return m ? ref.slice(m[0].length) : ref;
}

/** New standard audio: `native` makes sound, `original` keeps an edited video's own, `off` none. */
function newAudio(req: Pick<OmniRequest, 'sound' | 'edit'>): 'native' | 'original' | 'off' | undefined {
  if (req.edit) return req.sound === 'off' ? 'off' : 'original';
  return req.sound === undefined ? undefined : req.sound === 'on' ? 'native' : 'off';
}

/** `POST /omni-video/{model}` on the new standard. */
export function omniNewBody(req: OmniRequest, extras: CreateExtras): Record<string, unknown> {
  const audio = newAudio(req);
  return {
    contents: [
      { type: 'prompt', text: newStandardReferences(req.prompt) },
      ...req.images.map((image, i) => ({ type: 'refer_image', url: bareImage(image), id: `image_${i + 1}` })),
      ...(req.edit ? [{ type: 'base_video', url: req.edit.video_url }] : []),
    ],
    settings: {
      resolution: req.resolution,
      ...(req.aspect_ratio && !req.edit ? { aspect_ratio: req.aspect_ratio } : {}),
      ...(req.duration && !req.edit ? { duration: Number(req.duration) } : {}),
      ...(audio ? { audio } : {}),
    },
    options: createOptions(extras),
  };
}

/** `POST /v1/videos/omni-video` on the legacy standard; `modelName` is the legacy id of the model. */
export function omniLegacyBody(req: OmniRequest, modelName: string, extras: CreateExtras): Record<string, unknown> {
  const mode = LEGACY_MODE[req.resolution];
  return {
    model_name: modelName,
    prompt: legacyReferences(req.prompt),
    ...(req.images.length ? { image_list: req.images.map((image) => ({ image_url: bareImage(image) })) } : {}),
    ...(req.edit
      ? {
          video_list: [
            {
              video_url: req.edit.video_url,
              refer_type: 'base',
              keep_original_sound: req.sound === 'off' ? 'no' : 'yes',
            },
          ],
        }
      : {}),
    ...(mode ? { mode } : {}),
    ...(req.aspect_ratio && !req.edit ? { aspect_ratio: req.aspect_ratio } : {}),
    ...(req.duration && !req.edit ? { duration: req.duration } : {}),
    ...(req.sound && !req.edit ? { sound: req.sound } : {}),
    ...createOptions(extras),
  };
}

/** `POST /text-to-video/{model}` with the shot syntax in the prompt (new standard). */
export function storyboardNewBody(req: StoryboardRequest, extras: CreateExtras): Record<string, unknown> {
  return {
    prompt: shotSyntaxPrompt(req.shots),
    settings: {
      resolution: req.resolution,
      aspect_ratio: req.aspect_ratio,
      duration: totalSeconds(req.shots),
      multi_shot: true,
      ...(req.sound ? { audio: req.sound === 'on' ? 'native' : 'off' } : {}),
    },
    options: createOptions(extras),
  };
}

/** `POST /omni-video/{model}` (3.0 Omni) with the shot syntax as its prompt and `multi_shot` on (new standard). */
export function storyboardOmniNewBody(req: StoryboardRequest, extras: CreateExtras): Record<string, unknown> {
  const { prompt, settings, options } = storyboardNewBody(req, extras);
  return { contents: [{ type: 'prompt', text: prompt }], settings, options };
}

/**
 * `POST /v1/videos/omni-video` with `multi_shot` + `multi_prompt` (legacy text-to-video has no
 * multi-shot). Kling ignores `prompt` then; the shots joined stand in for it where one is required.
 */
export function storyboardLegacyBody(
  req: StoryboardRequest,
  modelName: string,
  extras: CreateExtras,
): Record<string, unknown> {
  const mode = LEGACY_MODE[req.resolution];
  return {
    model_name: modelName,
    prompt: req.shots
      .map((s) => s.prompt)
      .join(' ')
      .slice(0, 2500),
    ...legacyMultiShot(req.shots),
    ...(mode ? { mode } : {}),
    aspect_ratio: req.aspect_ratio,
    ...(req.sound ? { sound: req.sound } : {}),
    ...createOptions(extras),
  };
}

/** The same two fields: nested in `options` on the new standard, at the top level on the legacy one. */
const createOptions = (extras: CreateExtras) => ({
  external_task_id: extras.externalTaskId,
  ...(extras.callbackUrl ? { callback_url: extras.callbackUrl } : {}),
});
