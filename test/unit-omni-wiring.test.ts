import { describe, expect, it } from 'vitest';
import type { GenerationRequest, TaskRecord } from '../src/domain.js';
import { extendRequest } from '../src/extend.js';
import { toKlingBody } from '../src/kling/client.js';
import { BUILT_IN } from '../src/kling/model-table.js';
import { expectedUnitsOf } from '../src/kling/rules.js';
import { omniLegacyBody, storyboardLegacyBody } from '../src/omni/bodies.js';
import { newestOmniModel } from '../src/omni/defaults.js';
import { editRequest } from '../src/omni/edit-request.js';
import { OmniRequest, StoryboardRequest } from '../src/omni/request.js';
import { renderCard } from '../src/render/card.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);

const board: GenerationRequest = {
  kind: 'storyboard',
  shots: [
    { seconds: 3, prompt: 'a cat jumps' },
    { seconds: 4, prompt: 'it lands softly' },
    { seconds: 2, prompt: 'it purrs' },
  ],
  model: 'kling-v3',
  legacyModel: 'kling-v3-omni',
  resolution: '1080p',
  aspect_ratio: '16:9',
};

const edit: GenerationRequest = {
  kind: 'omni',
  prompt: 'make it snow',
  model: 'kling-v3-omni',
  resolution: '720p',
  images: [],
  edit: { parentTaskId: 'kbsource00001', video_id: 'v1', video_url: 'https://cdn.kling.example/v1.mp4', seconds: 5.1 },
};

function record(request: GenerationRequest, over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 'kbnew0000001',
    scope: { platform: 'discord', guildId: 'g1', channelId: 'c1', userId: 'u1', userName: 'Ada' },
    request,
    state: 'succeed',
    createdAt: T0,
    updatedAt: T0,
    finishedAt: T0 + 60_000,
    result: { videos: [{ id: 'v2', url: 'https://cdn.kling.example/v2.mp4', duration: '9' }], images: [] },
    ...over,
  };
}

describe('omni tasks through the legacy client', () => {
  // What these bodies hold is checked against docs/sources.md in unit-omni-bodies; here, that the
  // client sends an omni task in them, with the omni model's legacy name.
  it('GIVEN a storyboard THEN POSTed as the legacy multi-shot body with the omni model_name', () => {
    const body = storyboardLegacyBody(StoryboardRequest.parse(board), 'kling-v3-omni', {
      externalTaskId: 'kbnew0000001',
    });
    expect(toKlingBody(board, 'kbnew0000001')).toEqual(body);
  });

  it('GIVEN an edit THEN POSTed as the legacy edit body (the source as base video)', () => {
    const body = omniLegacyBody(OmniRequest.parse(edit), 'kling-v3-omni', { externalTaskId: 'kbnew0000002' });
    expect(toKlingBody(edit, 'kbnew0000002')).toEqual(body);
  });
});

describe('omni tasks on the card', () => {
  it('GIVEN a storyboard THEN the card lists its shots and its options', () => {
    const view = renderCard(record(board), { now: T0 + 61_000 });
    expect(view.title).toMatch(/Storyboard · 3 shots/);
    expect(view.prompt).toBe('Shot 1 (3s): a cat jumps\nShot 2 (4s): it lands softly\nShot 3 (2s): it purrs');
    expect(view.fields.find((f) => f.label === 'Options')?.value).toMatch(/1080p · 9s · 16:9/);
  });

  it('GIVEN an edit THEN the card links its source; no Extend button', () => {
    const view = renderCard(record(edit), { now: T0 + 61_000 });
    expect(view.fields.find((f) => f.label === 'Edits')?.value).toBe(
      'kbsource00001 · https://cdn.kling.example/v1.mp4',
    );
    expect(view.buttons.map((b) => b.action)).not.toContain('extend');
  });

  it('GIVEN reference images whose links expired THEN the card says Regenerate cannot resend them', () => {
    const refs: GenerationRequest = {
      ...edit,
      edit: undefined,
      images: ['https://cdn.discordapp.com/a.png'],
      imagesExpireAt: T0,
    };
    const view = renderCard(record(refs), { now: T0 + 1 });
    expect(view.fields.find((f) => f.label === 'Reference images')?.value).toMatch(/expired.*run \/video again/);
  });
});

describe('omni tasks elsewhere', () => {
  it('GIVEN an omni video THEN Extend is refused naming the model', () => {
    expect(() => extendRequest(record(edit), T0 + 61_000)).toThrow(/kling-v3-omni videos cannot be extended/);
  });

  it('GIVEN a 9 s 1080p storyboard THEN its estimate is priced per second (positive)', () => {
    expect(expectedUnitsOf(board)).toBeGreaterThan(0);
  });

  it('GIVEN the built-in table THEN the newest omni model is Kling 3.0 Omni', () => {
    expect(['kling-3.0-omni', 'kling-v3-omni']).toContain(newestOmniModel(BUILT_IN));
  });
});

describe('/edit of a finished video', () => {
  const t2v: GenerationRequest = {
    kind: 'text2video',
    prompt: 'a fox in a field',
    model: 'kling-v2-6',
    mode: 'pro',
    duration: '5',
    aspect_ratio: '16:9',
  };
  const source = (over: Partial<TaskRecord> = {}) =>
    record(t2v, {
      id: 'kbsource00001',
      result: { videos: [{ id: 'v1', url: 'https://cdn.kling.example/v1.mp4', duration: '5.1' }], images: [] },
      ...over,
    });

  it('GIVEN a finished 1080p video THEN an omni task with Kling’s URL of it as the base video', () => {
    expect(editRequest(source(), 'make it snow', 'kling-3.0-omni', T0 + 86_400_000)).toEqual({
      kind: 'omni',
      prompt: 'make it snow',
      model: 'kling-3.0-omni',
      resolution: '1080p',
      images: [],
      edit: {
        parentTaskId: 'kbsource00001',
        video_id: 'v1',
        video_url: 'https://cdn.kling.example/v1.mp4',
        seconds: 5.1,
      },
    });
  });

  it('GIVEN a source over 30 days old, an image task, or one still running THEN refused with the reason', () => {
    expect(() => editRequest(source(), 'snow', 'kling-3.0-omni', T0 + 31 * 86_400_000)).toThrow(/over 30 days old/);
    const images: GenerationRequest = { kind: 'image', prompt: 'x', model: 'kling-v2-1', aspect_ratio: '1:1', n: 1 };
    expect(() => editRequest(record(images), 'snow', 'kling-3.0-omni', T0)).toThrow(/is not a video/);
    expect(() => editRequest(source({ state: 'processing', result: undefined }), 'snow', 'kling-3.0-omni', T0)).toThrow(
      /has not finished/,
    );
  });

  it('GIVEN a 12 s source THEN O1 (3–10 s) refuses on length', () => {
    const long = source({
      result: { videos: [{ id: 'v1', url: 'https://cdn.kling.example/v1.mp4', duration: '12' }], images: [] },
    });
    expect(() => editRequest(long, 'snow', 'kling-o1', T0)).toThrow(/lasts 12 s; kling-o1 edits videos of 3 to 10 s/);
  });
});
