import { KLING_PATHS, type GenerationRequest, type TaskKind } from '../../domain.js';
import { omniLegacyBody, storyboardLegacyBody } from '../../omni/bodies.js';
import { rowFor } from '../model-table.js';
import { modelIdFor, sendsCfgScale, sendsMode, sendsSound } from '../rules.js';

/**
 * Kling's legacy standard (`/v1/…`, `model_name` in the body, JWT or API key): one path per kind,
 * one body builder per kind (omni and storyboards build theirs in src/omni/bodies.ts).
 * Docs: https://app.klingai.com/global/dev/document-api (text-to-video, image-to-video,
 * video-extend, image-generation).
 */

export const LEGACY_PATHS: Record<TaskKind, string> = KLING_PATHS;

/** Kling takes an image as a URL or as bare base64: a `data:image/…;base64,` prefix is refused, so it is cut. */
export function klingImage(ref: string): string {
  const m = /^data:[^,;]*(;[^,]*)?;base64,/i.exec(ref);
  return m ? ref.slice(m[0].length) : ref;
}

type Body = Record<string, unknown>;
type Builder<K extends GenerationRequest['kind']> = (req: Extract<GenerationRequest, { kind: K }>) => Body;

/** The options the video kinds share, as the table says the model takes them; 0 is a valid cfg_scale. */
function videoOptions(req: Extract<GenerationRequest, { kind: 'text2video' | 'image2video' }>): Body {
  const known = rowFor(req.model, req.kind) !== undefined;
  const sound =
    req.sound !== undefined && (known ? sendsSound(req.model, req.kind, req.mode) : req.sound === 'on')
      ? { sound: req.sound }
      : {};
  return {
    model_name: modelIdFor(req.model, req.kind, 'legacy'),
    ...(sendsMode(req.model, req.kind) ? { mode: req.mode } : {}),
    duration: req.duration,
    ...(req.cfg_scale !== undefined && sendsCfgScale(req.model, req.kind) ? { cfg_scale: req.cfg_scale } : {}),
    ...sound,
  };
}

const BODIES: { [K in Exclude<GenerationRequest['kind'], 'omni' | 'storyboard'>]: Builder<K> } = {
  text2video: (req) => ({ prompt: req.prompt, ...videoOptions(req), aspect_ratio: req.aspect_ratio }),
  image2video: (req) => ({
    image: klingImage(req.image),
    ...(req.image_tail !== undefined ? { image_tail: klingImage(req.image_tail) } : {}),
    ...(req.prompt ? { prompt: req.prompt } : {}),
    ...videoOptions(req),
  }),
  // video-extend takes the source's video id; its model and mode are the source's (Kling takes neither).
  extend: (req) => ({ video_id: req.video_id, ...(req.prompt ? { prompt: req.prompt } : {}) }),
  image: (req) => ({
    model_name: modelIdFor(req.model, 'image', 'legacy'),
    prompt: req.prompt,
    aspect_ratio: req.aspect_ratio,
    n: req.n,
  }),
};

/** The request body Kling's legacy standard expects, from our normalised request. */
export function legacyBody(req: GenerationRequest, externalTaskId: string, callbackUrl?: string): Body {
  if (req.kind === 'omni')
    return omniLegacyBody(req, modelIdFor(req.model, 'omni', 'legacy'), { externalTaskId, callbackUrl });
  if (req.kind === 'storyboard')
    return storyboardLegacyBody(req, modelIdFor(req.legacyModel, 'omni', 'legacy'), { externalTaskId, callbackUrl });
  const build = BODIES[req.kind] as Builder<typeof req.kind>;
  return {
    ...build(req as never),
    ...(req.negative_prompt ? { negative_prompt: req.negative_prompt } : {}),
    ...(callbackUrl ? { callback_url: callbackUrl } : {}),
    external_task_id: externalTaskId,
  };
}
