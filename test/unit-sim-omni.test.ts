import { describe, expect, it } from 'vitest';
import { shotLengths } from '../tools/kling-simulator/new-omni-rules.js';
import { newRefusal } from '../tools/kling-simulator/new-rules.js';
import { omniRefusal } from '../tools/kling-simulator/omni-rules.js';

/** The simulator's legacy omni-video rules (its own copy of Kling's docs), refusal by refusal. */
const ok = {
  model_name: 'kling-v3-omni',
  prompt: 'a <<<image_1>>>',
  image_list: [{ image_url: 'https://x/a.png' }],
  aspect_ratio: '16:9',
  duration: '5',
};
const none = () => undefined;
const why = (body: Record<string, unknown>) => {
  const r = omniRefusal(body, [], none);
  return 'refusal' in r ? r.refusal.message : 'accepted';
};

describe('simulator: legacy omni-video', () => {
  it('GIVEN a documented body THEN accepted, with its model, mode and length', () => {
    expect(omniRefusal(ok, [], none)).toEqual({ made: { model: 'kling-v3-omni', mode: 'std', seconds: 5 } });
  });
  it('GIVEN each broken rule THEN a 1201 naming the field', () => {
    expect(why({ ...ok, model_name: 'kling-v3' })).toMatch(/model not found/);
    expect(why({ ...ok, prompt: '<<<image_2>>>' })).toMatch(/prompt.*image_2/);
    expect(why({ ...ok, image_list: [{ image_url: 'data:image/png;base64,AAAA' }] })).toMatch(/data: prefix/);
    expect(why({ ...ok, image_list: Array(8).fill({ image_url: 'https://x/a.png' }) })).toMatch(/at most 7/);
    expect(why({ ...ok, aspect_ratio: undefined })).toMatch(/aspect_ratio.*required/);
    expect(why({ ...ok, model_name: 'kling-video-o1', sound: 'on' })).toMatch(/sound/);
    expect(why({ ...ok, duration: '20' })).toMatch(/duration/);
    expect(why({ ...ok, model_name: 'kling-video-o1', duration: '12' })).toMatch(/duration/);
    expect(why({ ...ok, negative_prompt: 'x' })).toMatch(/negative_prompt|Unrecognized/);
  });
  it('GIVEN multi-shot THEN the shots must count from 1 and sum to the duration, v3-omni only', () => {
    const shots = { multi_shot: true, shot_type: 'customize', duration: '7', image_list: undefined, prompt: 'x' };
    const multi = [
      { index: 1, prompt: 'a cat jumps', duration: '3' },
      { index: 2, prompt: 'it lands', duration: '4' },
    ];
    expect(why({ ...ok, ...shots, multi_prompt: multi })).toBe('accepted');
    expect(why({ ...ok, ...shots, multi_prompt: multi, duration: '8' })).toMatch(/7 s, the duration is 8 s/);
    expect(why({ ...ok, ...shots, multi_prompt: [multi[1], multi[0]] })).toMatch(/index/);
    expect(why({ ...ok, ...shots, multi_prompt: multi, model_name: 'kling-video-o1' })).toMatch(/multi_shot/);
  });
  it('GIVEN a base video THEN its own length, no aspect needed, no multi-shot; an unfinished one refused', () => {
    const video = (url: string) =>
      url === 'https://sim/v.mp4' ? { seconds: 5.1, finished: true, ageMs: 0 } : undefined;
    const edit = {
      model_name: 'kling-v3-omni',
      prompt: 'make it snow',
      video_list: [{ video_url: 'https://sim/v.mp4', refer_type: 'base' }],
    };
    expect(omniRefusal(edit, [], video)).toEqual({ made: { model: 'kling-v3-omni', mode: 'std', seconds: 6 } });
    expect('refusal' in omniRefusal(edit, [], () => ({ seconds: 5, finished: false, ageMs: 0 }))).toBe(true);
    expect('refusal' in omniRefusal(edit, [], () => ({ seconds: 5, finished: true, ageMs: 31 * 86_400_000 }))).toBe(
      true,
    );
    expect('refusal' in omniRefusal(edit, [], () => ({ seconds: 20, finished: true, ageMs: 0 }))).toBe(true);
  });
});

/** The new standard's omni-video and multi-shot prompts, by the simulator's own rules. */
const newWhy = (kind: 'text-to-video' | 'omni-video', model: string, body: Record<string, unknown>) => {
  const lookup = (url: string) =>
    url === 'https://kling/long.mp4' ? { seconds: 12.1, finished: true, ageMs: 0 } : undefined;
  const r = newRefusal(kind, model, body, [], lookup);
  return 'refusal' in r ? r.refusal.message : `accepted ${r.seconds} s`;
};
const omniBody = (contents: unknown[], settings: Record<string, unknown> = { aspect_ratio: '16:9' }) => ({
  contents,
  settings,
});

describe('simulator: new-standard multi-shot and omni-video', () => {
  it('GIVEN the shot syntax THEN the lengths; GIVEN a broken one THEN why', () => {
    expect(shotLengths('shot 1, 3, a cat, jumping; shot 2, 4, lands;')).toEqual({ seconds: [3, 4] });
    expect(shotLengths('shot 2, 3, a;')).toEqual({ why: 'shot 2 is out of order' });
    expect(shotLengths('shot 1, 0, a;')).toEqual({ why: 'shot 1 lasts less than 1 s' });
    expect(shotLengths(`shot 1, 3, ${'w'.repeat(513)};`)).toMatchObject({ why: /512/ });
    expect(shotLengths('a cat jumps')).toMatchObject({ why: /not a shot/ });
    expect(shotLengths(Array.from({ length: 7 }, (_, i) => `shot ${i + 1}, 1, x;`).join(' '))).toMatchObject({
      why: /1 to 6 shots/,
    });
  });

  it('GIVEN multi_shot THEN the shots must sum to the duration, on a model that has multi-shot', () => {
    const board = { prompt: 'shot 1, 3, a; shot 2, 4, b;', settings: { duration: 7, multi_shot: true } };
    expect(newWhy('text-to-video', 'kling-3.0', board)).toBe('accepted 7 s');
    expect(newWhy('text-to-video', 'kling-3.0', { ...board, settings: { duration: 8, multi_shot: true } })).toMatch(
      /the shots last 7 s, the duration is 8 s/,
    );
    expect(newWhy('text-to-video', 'kling-2.6', { ...board, settings: { duration: 10, multi_shot: true } })).toMatch(
      /makes no multi-shot videos/,
    );
  });

  it('GIVEN omni-video inputs THEN named images given, at most 7 (4 with a video), a base video keeps its length', () => {
    const img = (n: number) => ({ type: 'refer_image', url: `https://x/${n}.png`, id: `image_${n}` });
    const prompt = (text: string) => ({ type: 'prompt', text });
    expect(newWhy('omni-video', 'kling-3.0-omni', omniBody([prompt('@image_1 runs'), img(1)]))).toBe('accepted 5 s');
    expect(newWhy('omni-video', 'kling-3.0-omni', omniBody([prompt('@image_2 runs'), img(1)]))).toMatch(
      /names @image_2/,
    );
    const eight = [prompt('many'), ...[1, 2, 3, 4, 5, 6, 7, 8].map(img)];
    expect(newWhy('omni-video', 'kling-3.0-omni', omniBody(eight))).toMatch(/at most 7/);
    const base = { type: 'base_video', url: 'https://kling/long.mp4' };
    expect(newWhy('omni-video', 'kling-3.0-omni', omniBody([prompt('snow'), base], {}))).toBe('accepted 13 s');
    expect(newWhy('omni-video', 'kling-o1', omniBody([prompt('snow'), base], {}))).toMatch(/3 to 10 s/);
    expect(newWhy('omni-video', 'kling-3.0-omni', omniBody([prompt('snow'), base], { audio: 'native' }))).toMatch(
      /keeps its own sound/,
    );
    expect(newWhy('omni-video', 'kling-3.0-omni', omniBody([prompt('a cat')], {}))).toMatch(/aspect_ratio/);
  });
});
