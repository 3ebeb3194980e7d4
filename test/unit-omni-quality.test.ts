import { describe, expect, it } from 'vitest';
import { resolutionOption, resolveQuality, type QualityAsk } from '../src/omni/resolution.js';
import { EDIT_MAX_AGE_MS, editViolation, framePixels, type EditSource } from '../src/omni/edit-source.js';

const NEW_3: QualityAsk = { model: 'kling-3.0', resolutions: ['720p', '1080p', '4k'], standard: 'new' };
const LEGACY_3: QualityAsk = { model: 'kling-v3', resolutions: ['720p', '1080p'], standard: 'legacy' };

describe('resolution and mode', () => {
  it('GIVEN 1080, 4K, 2160p THEN the option reads 1080p, 4k, 4k; GIVEN 8k THEN refused', () => {
    expect(['1080', '4K', '2160p', ' 720P '].map((v) => resolutionOption.parse(v))).toEqual([
      '1080p',
      '4k',
      '4k',
      '720p',
    ]);
    expect(resolutionOption.safeParse('8k').success).toBe(false);
  });

  it('GIVEN --res 1080p on the legacy standard THEN mode pro', () => {
    expect(resolveQuality({ ...LEGACY_3, resolution: '1080p' })).toEqual({
      ok: true,
      resolution: '1080p',
      mode: 'pro',
    });
  });

  it('GIVEN --res 720p THEN mode std; GIVEN --mode pro alone THEN 1080p', () => {
    expect(resolveQuality({ ...LEGACY_3, resolution: '720p' })).toMatchObject({ mode: 'std' });
    expect(resolveQuality({ ...NEW_3, mode: 'pro' })).toMatchObject({ ok: true, resolution: '1080p' });
  });

  it('GIVEN nothing THEN the model’s lowest resolution', () => {
    expect(resolveQuality(NEW_3)).toMatchObject({ ok: true, resolution: '720p', mode: 'std' });
  });

  it('GIVEN --mode std --res 1080p THEN refused naming both', () => {
    const q = resolveQuality({ ...NEW_3, mode: 'std', resolution: '1080p' });
    expect(q.ok).toBe(false);
    if (q.ok) return;
    expect(q.violation.rule).toBe('mode_and_resolution');
    expect(q.violation.message).toMatch(/mode std and resolution 1080p disagree/);
  });

  it('GIVEN --mode pro --res 4k THEN refused: pro is 1080p', () => {
    const q = resolveQuality({ ...NEW_3, mode: 'pro', resolution: '4k' });
    expect(q.ok ? undefined : q.violation.rule).toBe('mode_and_resolution');
  });

  it('GIVEN 4k on the new standard THEN accepted, no legacy mode', () => {
    expect(resolveQuality({ ...NEW_3, resolution: '4k' })).toEqual({ ok: true, resolution: '4k', mode: undefined });
  });

  it('GIVEN 4k on the legacy standard THEN refused saying legacy has no 4k', () => {
    const q = resolveQuality({ ...LEGACY_3, resolution: '4k' });
    expect(q.ok ? undefined : q.violation.message).toMatch(/legacy API.*no 4k/);
  });

  it('GIVEN 4k on a model that makes 720p and 1080p THEN refused listing what it makes', () => {
    const q = resolveQuality({ model: 'kling-2.6', resolutions: ['720p', '1080p'], standard: 'new', resolution: '4k' });
    expect(q.ok ? undefined : q.violation).toEqual({
      rule: 'resolution',
      field: 'resolution',
      message: 'kling-2.6 makes 720p, 1080p (not 4k)',
    });
  });
});

// 3.0 Omni and O1 as docs/sources.md ("Omni") gives them (not read from the product's table).
const OMNI_3 = { minSeconds: 3, maxSeconds: 15.5, minSide: 700, maxSide: 4553, maxArea: 8_294_400 };
const O1 = { minSeconds: 3, maxSeconds: 10, minSide: 700, maxSide: 2160 };
const NOW = Date.UTC(2026, 11, 7);
const FINE: EditSource = {
  isVideo: true,
  finished: true,
  finishedAt: NOW - 86_400_000,
  klingVideo: 'https://cdn.example/v.mp4',
  seconds: 5.1,
  width: 1920,
  height: 1080,
};

describe('edit eligibility', () => {
  it('GIVEN a finished 5.1 s 1080p video a day old THEN it can be edited by 3.0 Omni and O1', () => {
    expect(editViolation(FINE, 'kling-3.0-omni', OMNI_3, NOW)).toBeUndefined();
    expect(editViolation(FINE, 'kling-o1', O1, NOW)).toBeUndefined();
  });

  it('GIVEN images THEN refused: not a video', () => {
    expect(editViolation({ ...FINE, isVideo: false }, 'kling-o1', O1, NOW)?.rule).toBe('not_video');
  });

  it('GIVEN a task still running THEN refused: not finished', () => {
    expect(editViolation({ ...FINE, finished: false }, 'kling-o1', O1, NOW)?.rule).toBe('not_finished');
  });

  it('GIVEN 30 days and a minute THEN refused: Kling deleted it; exactly 30 days THEN allowed', () => {
    const old = editViolation({ ...FINE, finishedAt: NOW - EDIT_MAX_AGE_MS - 60_000 }, 'kling-o1', O1, NOW);
    expect(old).toMatchObject({ rule: 'too_old', field: 'id' });
    expect(old?.message).toMatch(/over 30 days old/);
    expect(editViolation({ ...FINE, finishedAt: NOW - 30 * 86_400_000 }, 'kling-o1', O1, NOW)).toBeUndefined();
  });

  it('GIVEN a 12 s video THEN O1 (≤ 10 s) refuses naming its range, 3.0 Omni takes it', () => {
    expect(editViolation({ ...FINE, seconds: 12 }, 'kling-o1', O1, NOW)?.message).toBe(
      'lasts 12 s; kling-o1 edits videos of 3 to 10 s',
    );
    expect(editViolation({ ...FINE, seconds: 12 }, 'kling-3.0-omni', OMNI_3, NOW)).toBeUndefined();
  });

  it('GIVEN a 4K video THEN O1 (≤ 2,160 px) refuses on pixels, 3.0 Omni takes 3840×2160', () => {
    const uhd = { ...FINE, width: 3840, height: 2160 };
    expect(editViolation(uhd, 'kling-o1', O1, NOW)?.rule).toBe('pixels');
    expect(editViolation(uhd, 'kling-3.0-omni', OMNI_3, NOW)).toBeUndefined();
  });

  it('GIVEN a video with no Kling id or URL THEN refused: nothing Kling can fetch', () => {
    expect(editViolation({ ...FINE, klingVideo: undefined }, 'kling-o1', O1, NOW)?.rule).toBe('no_source');
  });

  it('GIVEN resolutions and ratios THEN Kling’s frame sizes; no ratio THEN unknown', () => {
    expect(framePixels('720p', '16:9')).toEqual({ width: 1280, height: 720 });
    expect(framePixels('1080p', '9:16')).toEqual({ width: 1080, height: 1920 });
    expect(framePixels('4k', '1:1')).toEqual({ width: 2880, height: 2880 });
    expect(framePixels('720p', undefined)).toBeUndefined();
  });
});
