import { describe, expect, it } from 'vitest';
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
