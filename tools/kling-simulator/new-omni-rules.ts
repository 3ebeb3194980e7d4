import { NEW_OMNI_VIDEO_SECONDS, OMNI_IMAGES, OMNI_SHOTS } from './documented.js';
import { imageRefSchema, isHttpUrl, type Refusal } from './legacy-rules.js';
import type { VideoLookup } from './omni-rules.js';

/**
 * What the new standard's omni-video (`POST /omni-video/{model}`) and its multi-shot prompts
 * refuse, from the simulator's own copy of Kling's docs (documented.ts), never the bot's table.
 */

const invalid = (field: string, why: string): Refusal => ({
  status: 400,
  code: 1201,
  message: `Invalid value for field ${field}: ${why}`,
});

/**
 * The multi-shot prompt, `shot n, m, words;` once per shot: n counts 1, 2, … (at most 6), m whole
 * seconds ≥ 1, words ≤ 512 characters. The shots' lengths, or why the prompt is not one.
 */
export function shotLengths(prompt: string): { seconds: number[] } | { why: string } {
  const text = prompt.trim();
  const shot = /\s*shot\s+(\d+)\s*,\s*(\d+)\s*,([^;]*);/iy;
  const seconds: number[] = [];
  while (shot.lastIndex < text.length) {
    const at = shot.lastIndex;
    const m = shot.exec(text);
    if (!m) return { why: `not a shot ("shot n, m, words;") at character ${at}` };
    const words = (m[3] ?? '').trim();
    if (Number(m[1]) !== seconds.length + 1) return { why: `shot ${m[1]} is out of order` };
    if (Number(m[2]) < 1) return { why: `shot ${m[1]} lasts less than 1 s` };
    if (words === '' || words.length > OMNI_SHOTS.promptMax)
      return { why: `shot ${m[1]} needs 1 to ${OMNI_SHOTS.promptMax} characters` };
    seconds.push(Number(m[2]));
  }
  if (seconds.length < 1 || seconds.length > OMNI_SHOTS.max) return { why: `1 to ${OMNI_SHOTS.max} shots` };
  return { seconds };
}

interface Content {
  type: string;
  text?: string | undefined;
  url?: string | undefined;
  id?: string | undefined;
}

/**
 * An omni-video create's inputs: ≤ 1 video; refer images and elements ≤ 7 without one, ≤ 4 with
 * one; each `@image_n` the prompt names given as an input's id; a base video has no frames, no
 * multi-shot, no native audio, and sets the length (an edit keeps the input's). Undefined
 * `seconds`: the settings' duration stands.
 */
export function omniInputsRefusal(
  model: string,
  contents: readonly Content[],
  settings: { aspect_ratio?: string | undefined; audio?: string | undefined; multi_shot?: boolean | undefined },
  video: VideoLookup,
): { refusal: Refusal } | { seconds?: number } {
  const no = (field: string, why: string) => ({ refusal: invalid(field, why) });
  const prompt = contents.find((c) => c.type === 'prompt')?.text ?? '';
  if (prompt.trim() === '') return no('contents', 'a prompt is required');
  const videos = contents.filter((c) => c.type === 'feature_video' || c.type === 'base_video');
  if (videos.length > 1) return no('contents', 'at most 1 video');
  const refs = contents.filter((c) => c.type === 'refer_image' || c.type === 'element');
  const max = videos.length ? OMNI_IMAGES.withVideo : OMNI_IMAGES.withoutVideo;
  if (refs.length > max)
    return no('contents', `at most ${max} images and elements ${videos.length ? 'with' : 'without'} a video`);
  for (const c of contents.filter((x) => x.type === 'refer_image'))
    if (!c.url || !imageRefSchema.safeParse(c.url).success) return no('contents.url', 'an http(s) URL or raw base64');
  const ids = new Set(contents.map((c) => c.id).filter(Boolean));
  for (const m of prompt.matchAll(/@(image_\d+)/g))
    if (!ids.has(m[1])) return no('contents', `the prompt names @${m[1]}, which no input has as its id`);
  const base = videos.find((c) => c.type === 'base_video');
  const frames = contents.some((c) => c.type === 'first_frame' || c.type === 'last_frame');
  if (!base && !frames && settings.aspect_ratio === undefined)
    return no('settings.aspect_ratio', 'required without a first frame or a base video');
  const [source] = videos;
  if (!source) return {};
  if (!source.url || !isHttpUrl(source.url)) return no('contents.url', 'a video is given by an http(s) URL');
  const known = video(source.url);
  if (known && (!known.finished || known.ageMs > 30 * 86_400_000))
    return no('contents.url', 'the video could not be downloaded');
  const limits = NEW_OMNI_VIDEO_SECONDS[model];
  if (known && limits && (known.seconds < limits.min || known.seconds > limits.max))
    return no('contents.url', `${model} takes videos of ${limits.min} to ${limits.max} s`);
  if (!base) return {};
  if (frames) return no('contents', 'a base video takes no frames');
  if (settings.multi_shot) return no('settings.multi_shot', 'not with a base video');
  if (settings.audio === 'native') return no('settings.audio', 'a base video keeps its own sound (original) or none');
  return { seconds: Math.ceil(known?.seconds ?? 5) };
}
