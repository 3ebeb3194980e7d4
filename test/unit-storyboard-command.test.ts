import { describe, expect, it } from 'vitest';
import { parseFlags } from '../commands/flags.js';
import storyboard, { storyboardRequest } from '../commands/storyboard.js';
import { suggest } from '../commands/suggest.js';
import type { ModelDefaults } from '../commands/generation.js';
import { ValidationError } from '../src/errors.js';

/** The figures below are REFERENCE's model table (docs/sources.md, "Kling models"), written out here. */
const LEGACY: ModelDefaults = { videoModel: 'kling-v2-5-turbo', imageModel: 'kling-v2-1', omniModel: 'kling-3.0-omni' };
const NEW: ModelDefaults = { ...LEGACY, videoModel: 'kling-3.0-turbo', standardFor: () => 'new' };

function refusal(run: () => unknown): ValidationError {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('/storyboard: the request', () => {
  it('GIVEN no model and a default video model without multi-shot THEN 3.0 Omni makes it and carries it on legacy', () => {
    expect(storyboardRequest({ shots: '3: a | 4: b' }, LEGACY)).toEqual({
      kind: 'storyboard',
      model: 'kling-3.0-omni',
      legacyModel: 'kling-3.0-omni',
      resolution: '720p',
      aspect_ratio: '16:9',
      shots: [
        { seconds: 3, prompt: 'a' },
        { seconds: 4, prompt: 'b' },
      ],
    });
  });

  it('GIVEN a multi-shot default video model THEN it is the model; kling-v3 is carried by the omni model on legacy', () => {
    expect(storyboardRequest({ shots: '5: a' }, NEW)).toMatchObject({ model: 'kling-3.0-turbo' });
    expect(storyboardRequest({ shots: '5: a', model: 'kling-v3' }, LEGACY)).toMatchObject({
      model: 'kling-v3',
      legacyModel: 'kling-3.0-omni',
    });
  });

  it('GIVEN KLING_DEFAULT_OMNI_MODEL without multi-shot (O1) THEN the legacy carrier is the omni model that has it', () => {
    const o1 = { ...LEGACY, omniModel: 'kling-o1' };
    expect(storyboardRequest({ shots: '5: a', model: 'kling-3.0' }, o1).legacyModel).toBe('kling-3.0-omni');
    expect(refusal(() => storyboardRequest({ shots: '5: a', model: 'kling-o1' }, o1)).userMessage).toMatch(
      /kling-o1 does not make multi-shot videos; models that do: kling-3\.0, kling-3\.0-turbo, kling-3\.0-omni/,
    );
  });

  it('GIVEN 4k THEN refused on legacy, taken on the new standard by a model that has it, refused by one that has not', () => {
    expect(refusal(() => storyboardRequest({ shots: '5: a', resolution: '4k' }, LEGACY)).field).toBe('resolution');
    expect(storyboardRequest({ shots: '5: a', model: 'kling-3.0', resolution: '4k' }, NEW).resolution).toBe('4k');
    expect(refusal(() => storyboardRequest({ shots: '5: a', resolution: '4k' }, NEW)).userMessage).toMatch(
      /kling-3\.0-turbo makes 720p, 1080p \(not 4k\)/,
    );
  });

  it('GIVEN sound on a model without audio THEN refused; off is not sent to it', () => {
    expect(refusal(() => storyboardRequest({ shots: '5: a', sound: 'on' }, NEW)).field).toBe('sound');
    expect(storyboardRequest({ shots: '5: a', sound: 'off' }, NEW)).not.toHaveProperty('sound');
    expect(storyboardRequest({ shots: '5: a', sound: 'on', model: 'kling-3.0' }, NEW).sound).toBe('on');
  });

  it('GIVEN an unknown model THEN refused: the table cannot say it does multi-shot', () => {
    expect(refusal(() => storyboardRequest({ shots: '5: a', model: 'kling-9.0' }, NEW)).field).toBe('model');
  });

  it('GIVEN a ratio the model does not take THEN refused naming aspect_ratio', () => {
    expect(refusal(() => storyboardRequest({ shots: '5: a', aspect_ratio: '4:3' }, LEGACY)).field).toBe('aspect_ratio');
  });
});

describe('/storyboard: model suggestions', () => {
  it('GIVEN the model option THEN only multi-shot models, omni ones too, the default first', () => {
    expect(suggest(storyboard, 'model', '', {}, LEGACY, () => true).map((s) => s.value)).toEqual([
      'kling-3.0-omni',
      'kling-3.0-turbo',
      'kling-3.0',
    ]);
    expect(suggest(storyboard, 'model', '', {}, NEW, () => true)[0]?.name).toMatch(/^kling-3\.0-turbo \(default\)/);
  });
});

describe('free text keeps its lines', () => {
  it('GIVEN shots on lines with a flag between THEN the lines survive and the flag is read', () => {
    expect(parseFlags('3: a cat\n--model kling-v3\n4: it lands  softly\n\n2: purrs', ['model'], 'storyboard')).toEqual({
      text: '3: a cat\n4: it lands softly\n2: purrs',
      flags: { model: 'kling-v3' },
    });
  });
});
