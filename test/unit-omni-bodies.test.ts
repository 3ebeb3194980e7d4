import { describe, expect, it } from 'vitest';
import { omniLegacyBody, omniNewBody, storyboardLegacyBody, storyboardNewBody } from '../src/omni/bodies.js';
import { OmniRequest, StoryboardRequest } from '../src/omni/request.js';

// Expected bodies are written out from docs/sources.md ("Omni: references, edit,
// multi-shot"), not computed by the product.
const EXTRAS = { externalTaskId: 'kb0000000001', callbackUrl: 'https://bot.example/kling/callback/t' };

const refs = OmniRequest.parse({
  kind: 'omni',
  prompt: '@image_1 walks into @image_2 kitchen',
  model: 'kling-3.0-omni',
  resolution: '1080p',
  duration: '5',
  aspect_ratio: '16:9',
  sound: 'off',
  images: ['https://cdn.example/a.png', 'data:image/png;base64,iVBORw0KGgo='],
});

const edit = OmniRequest.parse({
  kind: 'omni',
  prompt: 'make it snow',
  model: 'kling-3.0-omni',
  resolution: '720p',
  edit: { parentTaskId: 'kb1', video_id: 'v1', video_url: 'https://kling.example/v1.mp4', seconds: 5.1 },
});

describe('omni-video bodies', () => {
  it('GIVEN two reference images on the new standard THEN contents prompt + refer_image items named image_n, settings, options', () => {
    expect(omniNewBody(refs, EXTRAS)).toEqual({
      contents: [
        { type: 'prompt', text: '@image_1 walks into @image_2 kitchen' },
        { type: 'refer_image', url: 'https://cdn.example/a.png', id: 'image_1' },
        { type: 'refer_image', url: 'iVBORw0KGgo=', id: 'image_2' },
      ],
      settings: { resolution: '1080p', aspect_ratio: '16:9', duration: 5, audio: 'off' },
      options: { external_task_id: 'kb0000000001', callback_url: 'https://bot.example/kling/callback/t' },
    });
  });

  it('GIVEN the same on the legacy standard THEN <<<image_n>>> in the prompt, image_list, mode pro for 1080p, duration as a string', () => {
    expect(omniLegacyBody(refs, 'kling-v3-omni', EXTRAS)).toEqual({
      model_name: 'kling-v3-omni',
      prompt: '<<<image_1>>> walks into <<<image_2>>> kitchen',
      image_list: [{ image_url: 'https://cdn.example/a.png' }, { image_url: 'iVBORw0KGgo=' }],
      mode: 'pro',
      aspect_ratio: '16:9',
      duration: '5',
      sound: 'off',
      external_task_id: 'kb0000000001',
      callback_url: 'https://bot.example/kling/callback/t',
    });
  });

  it('GIVEN an edit THEN the source as base video (Kling’s URL), its sound kept, no duration or ratio', () => {
    expect(omniNewBody(edit, { externalTaskId: 'kb2' })).toEqual({
      contents: [
        { type: 'prompt', text: 'make it snow' },
        { type: 'base_video', url: 'https://kling.example/v1.mp4' },
      ],
      settings: { resolution: '720p', audio: 'original' },
      options: { external_task_id: 'kb2' },
    });
    expect(omniLegacyBody(edit, 'kling-v3-omni', { externalTaskId: 'kb2' })).toEqual({
      model_name: 'kling-v3-omni',
      prompt: 'make it snow',
      video_list: [{ video_url: 'https://kling.example/v1.mp4', refer_type: 'base', keep_original_sound: 'yes' }],
      mode: 'std',
      external_task_id: 'kb2',
    });
  });
});

describe('storyboard bodies', () => {
  const board = StoryboardRequest.parse({
    kind: 'storyboard',
    shots: [
      { seconds: 3, prompt: 'a cat jumps' },
      { seconds: 4, prompt: 'it lands softly' },
      { seconds: 2, prompt: 'it purrs' },
    ],
    model: 'kling-3.0',
    legacyModel: 'kling-v3-omni',
    resolution: '720p',
    aspect_ratio: '9:16',
    sound: 'on',
  });

  it('GIVEN three shots on the new standard THEN text-to-video with the shot syntax, multi_shot and the total', () => {
    expect(storyboardNewBody(board, { externalTaskId: 'kb3' })).toEqual({
      prompt: 'shot 1, 3, a cat jumps; shot 2, 4, it lands softly; shot 3, 2, it purrs;',
      settings: { resolution: '720p', aspect_ratio: '9:16', duration: 9, multi_shot: true, audio: 'native' },
      options: { external_task_id: 'kb3' },
    });
  });

  it('GIVEN three shots on the legacy standard THEN omni-video with multi_shot, customize and multi_prompt', () => {
    expect(storyboardLegacyBody(board, 'kling-v3-omni', { externalTaskId: 'kb3' })).toMatchObject({
      model_name: 'kling-v3-omni',
      multi_shot: true,
      shot_type: 'customize',
      multi_prompt: [
        { index: 1, prompt: 'a cat jumps', duration: '3' },
        { index: 2, prompt: 'it lands softly', duration: '4' },
        { index: 3, prompt: 'it purrs', duration: '2' },
      ],
      duration: '9',
      mode: 'std',
      aspect_ratio: '9:16',
      sound: 'on',
      external_task_id: 'kb3',
    });
  });
});
