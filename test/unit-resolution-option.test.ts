import { describe, expect, it } from 'vitest';
import { imageToVideoRequest, textToVideoRequest, type ModelDefaults } from '../commands/generation.js';
import { ValidationError } from '../src/errors.js';
import { toKlingBody } from '../src/kling/client.js';
import { expectedUnitsOf } from '../src/kling/rules.js';
import { newBody } from '../src/kling/standards/new.js';
import { optionsText } from '../src/render/card.js';

/**
 * `resolution` (`--res`) on /video and /animate (issue 20, Deliver 4). Figures from REFERENCE's
 * model and price tables (docs/sources.md), written out here: Kling 3.0 makes 720p/1080p/4k at
 * 0.6/0.8/3.0 units a second; 3.0 Turbo 720p/1080p; legacy mode std = 720p, pro = 1080p, no 4K.
 */
const LEGACY: ModelDefaults = { videoModel: 'kling-v2-6', imageModel: 'kling-v2-1' };
const NEW: ModelDefaults = { videoModel: 'kling-3.0', imageModel: 'kling-v2-1', standardFor: () => 'new' };
const IMAGE = 'https://example.com/cat.png';

function refusal(run: () => unknown): ValidationError {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('resolution on the legacy standard', () => {
  it('GIVEN 1080p THEN mode pro is sent; GIVEN 720p THEN mode std', () => {
    const pro = textToVideoRequest({ prompt: 'a cat', resolution: '1080p' }, LEGACY);
    expect(pro).toMatchObject({ mode: 'pro' });
    expect(pro).not.toHaveProperty('resolution');
    expect(toKlingBody(pro, 'kb1')).toMatchObject({ model_name: 'kling-v2-6', mode: 'pro' });
    expect(imageToVideoRequest({ image: IMAGE, resolution: '720p' }, LEGACY).mode).toBe('std');
  });

  it('GIVEN 4k THEN refused: the legacy API has none', () => {
    const err = refusal(() => textToVideoRequest({ prompt: 'a cat', model: 'kling-v3', resolution: '4k' }, LEGACY));
    expect(err.field).toBe('resolution');
    expect(err.userMessage).toMatch(/legacy API here, which has no 4k/);
  });

  it('GIVEN --mode and --res that disagree THEN refused naming both; agreeing THEN taken', () => {
    const err = refusal(() => textToVideoRequest({ prompt: 'a cat', mode: 'std', resolution: '1080p' }, LEGACY));
    expect(err.userMessage).toMatch(/mode std and resolution 1080p disagree/);
    expect(refusal(() => imageToVideoRequest({ image: IMAGE, mode: 'pro', resolution: '720p' }, LEGACY)).field).toBe(
      'resolution',
    );
    expect(textToVideoRequest({ prompt: 'a cat', mode: 'pro', resolution: '1080p' }, LEGACY).mode).toBe('pro');
  });
});

describe('resolution on the new standard', () => {
  it('GIVEN 4k on Kling 3.0 THEN settings.resolution 4k, the card says 4k, and the estimate is 3.0 units a second', () => {
    const req = textToVideoRequest({ prompt: 'a cat', resolution: '4k', duration: '10' }, NEW);
    expect(req).toMatchObject({ resolution: '4k', mode: 'pro' });
    expect(newBody(req, 'kb1')).toMatchObject({ settings: { resolution: '4k', duration: 10 } });
    expect(optionsText(req)).toContain('4k');
    expect(expectedUnitsOf(req)).toBe(30);
    expect(expectedUnitsOf(textToVideoRequest({ prompt: 'a cat', resolution: '1080p', duration: '10' }, NEW))).toBe(8);
  });

  it('GIVEN 4k on a model without it THEN refused naming what it makes', () => {
    const err = refusal(() => textToVideoRequest({ prompt: 'a cat', model: 'kling-3.0-turbo', resolution: '4k' }, NEW));
    expect(err.userMessage).toMatch(/kling-3\.0-turbo makes 720p, 1080p \(not 4k\)/);
  });
});
