/**
 * Money caps (issue 16, finding 4): what a task counts against the daily unit budgets, and the
 * decisions on it, GIVEN/THEN. Expected figures come from docs/sources.md ("Prices and units":
 * units per second by resolution and audio; 1 unit = $0.14), written out here.
 */
import { describe, expect, it } from 'vitest';
import {
  budgetUnitsOf,
  cashToUnits,
  chargedUnitsOf,
  IMAGE_UNIT_IN_VIDEO_UNITS,
  overBudget,
  releaseOf,
  settle,
} from '../src/budget.js';
import type { GenerationRequest, TaskRecord } from '../src/domain.js';
import { primaryId, type CapabilityRow } from '../src/kling/capabilities.js';
import { BUILT_IN } from '../src/kling/model-table.js';
import { expectedUnitsOf } from '../src/kling/rules.js';
import { idsOf, modelAllowed } from '../src/kling/model-ids.js';

/** docs/sources.md: 3.0 (kling-v3) 1080p (pro) with audio is 1.2 units/s; 2.5 Turbo 720p (std) 0.3 units/s. */
const REF_V3_PRO_AUDIO_PER_S = 1.2;
const REF_TURBO_STD_PER_S = 0.3;

const t2v = (over: Partial<Extract<GenerationRequest, { kind: 'text2video' }>> = {}): GenerationRequest => ({
  kind: 'text2video',
  prompt: 'p',
  model: 'kling-v2-5-turbo',
  mode: 'std',
  duration: '5',
  aspect_ratio: '16:9',
  sound: 'off',
  ...over,
});

const record = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  id: 'kbtest00000001',
  scope: { platform: 'discord', guildId: 'g', channelId: 'c', userId: 'u', userName: 'u' },
  request: t2v(),
  state: 'processing',
  createdAt: 0,
  updatedAt: 0,
  budget: { units: 6 },
  ...over,
});

describe('what a task counts', () => {
  it('GIVEN v3 pro 15 s with sound THEN it counts the price list’s 1.2 units/s × 15 = 18 units', () => {
    const req = t2v({ model: 'kling-v3', mode: 'pro', duration: '15', sound: 'on' });
    expect(budgetUnitsOf(req)).toBeCloseTo(REF_V3_PRO_AUDIO_PER_S * 15, 5);
  });

  it('GIVEN the default /video (2.5 Turbo, std, 5 s) THEN it counts 0.3 units/s × 5 = 1.5 units', () => {
    expect(budgetUnitsOf(t2v())).toBeCloseTo(REF_TURBO_STD_PER_S * 5, 5);
  });

  it('GIVEN a model the table does not know THEN it never counts less than any model it knows, at any length', () => {
    for (const duration of ['5', '10', '15']) {
      const unknown = budgetUnitsOf(t2v({ model: 'kling-v9-secret', mode: 'std', duration }));
      expect(unknown).toBeGreaterThanOrEqual(REF_V3_PRO_AUDIO_PER_S * Number(duration));
      for (const row of BUILT_IN.filter((r) => r.kind === 'text2video'))
        for (const mode of ['std', 'pro'] as const)
          for (const sound of ['on', 'off'] as const) {
            const model = primaryId(row);
            const known = expectedUnitsOf(t2v({ model, mode, duration, sound }));
            if (known !== undefined) expect(unknown, `${model} ${mode} ${sound}`).toBeGreaterThanOrEqual(known);
          }
    }
  });

  it('GIVEN an unknown model THEN std and silent cost as much as pro with sound: the dearest rate applies', () => {
    const cheap = budgetUnitsOf(t2v({ model: 'kling-zz', mode: 'std', duration: '10', sound: 'off' }));
    const dear = budgetUnitsOf(t2v({ model: 'kling-zz', mode: 'pro', duration: '10', sound: 'on' }));
    expect(cheap).toBe(dear);
    expect(cheap).toBeGreaterThan(0);
  });

  it('GIVEN an image task THEN it counts in video units, at most what the same image units would cost as video units', () => {
    const img: GenerationRequest = { kind: 'image', prompt: 'p', model: 'kling-zz-image', aspect_ratio: '1:1', n: 9 };
    const units = budgetUnitsOf(img);
    expect(units).toBeGreaterThan(0);
    expect(budgetUnitsOf({ ...img, n: 1 }) * 9).toBeCloseTo(units, 5);
  });

  it('GIVEN Kling’s charged figure THEN video units as charged; image units at the stated rate; cash at $0.14 a unit', () => {
    expect(chargedUnitsOf({ credits: '6', request: t2v() })).toBe(6);
    const img: GenerationRequest = { kind: 'image', prompt: 'p', model: 'kling-v2-1', aspect_ratio: '1:1', n: 9 };
    // docs/sources.md: images ≈ 8 image units each; README: 1 image unit = 0.1 video unit.
    expect(IMAGE_UNIT_IN_VIDEO_UNITS).toBe(0.1);
    expect(chargedUnitsOf({ credits: '72', request: img })).toBeCloseTo(7.2, 5);
    expect(chargedUnitsOf({ credits: undefined, request: t2v() })).toBeUndefined();
    expect(chargedUnitsOf({ credits: 'lots', request: t2v() })).toBeUndefined();
    expect(chargedUnitsOf({ credits: '-3', request: t2v() })).toBeUndefined();
    expect(cashToUnits(0.84)).toBeCloseTo(6, 5);
  });
});

describe('the budget decision', () => {
  const none = { user: 0, guild: 0, bot: 0 };
  it('GIVEN no caps THEN anything fits', () => {
    expect(overBudget({ user: 99_999, guild: 99_999, bot: 99_999 }, 4500, none)).toBeUndefined();
  });
  it('GIVEN a 10-unit user cap and nothing used THEN 18 units are refused by the user budget, 10 fit', () => {
    expect(overBudget(none, 1800, { ...none, user: 1000 })).toEqual({
      budget: 'user',
      cap: 1000,
      used: 0,
      needs: 1800,
    });
    expect(overBudget(none, 1000, { ...none, user: 1000 })).toBeUndefined();
  });
  it('GIVEN user, server and bot caps all passed THEN the user’s is named first, then the server’s, then the bot’s', () => {
    const used = { user: 900, guild: 900, bot: 900 };
    const caps = { user: 1000, guild: 1000, bot: 1000 };
    expect(overBudget(used, 200, caps)?.budget).toBe('user');
    expect(overBudget(used, 200, { ...caps, user: 0 })?.budget).toBe('guild');
    expect(overBudget(used, 200, { ...caps, user: 0, guild: 0 })?.budget).toBe('bot');
  });
  it('GIVEN a task that needs nothing THEN no budget refuses it, even one already over', () => {
    expect(overBudget({ user: 2000, guild: 0, bot: 0 }, 0, { ...none, user: 1000 })).toBeUndefined();
  });
});

describe('settling and releasing', () => {
  it('GIVEN a task that succeeds with a charged figure THEN it settles to that figure, once', () => {
    const done = settle(record(), record({ state: 'succeed', credits: '4' }));
    expect(done.delta).toBe(-200);
    expect(done.record.budget).toEqual({ units: 6, settled: true, charged: 4 });
    const again = settle(done.record, { ...done.record, credits: '9' });
    expect(again.delta).toBe(0);
  });
  it('GIVEN a failed task with no charge THEN its units go back; one Kling charged keeps the charge', () => {
    expect(settle(record(), record({ state: 'failed' })).delta).toBe(-600);
    expect(settle(record(), record({ state: 'failed', credits: '2' })).delta).toBe(-400);
  });
  it('GIVEN a success with no figure THEN the estimate stands; GIVEN a charge above it THEN the difference is added', () => {
    expect(settle(record(), record({ state: 'succeed' })).delta).toBe(0);
    expect(settle(record(), record({ state: 'succeed', credits: '7.5' })).delta).toBe(150);
  });
  it('GIVEN a writer’s stale copy without the settlement THEN the stored settlement stays', () => {
    const settled = record({ state: 'succeed', budget: { units: 6, settled: true, charged: 4 } });
    const stale = record({ state: 'succeed', budget: { units: 6 } });
    expect(settle(settled, stale)).toEqual({ record: { ...stale, budget: settled.budget }, delta: 0 });
  });
  it('GIVEN a running task THEN nothing moves; GIVEN a record from before budgets THEN nothing moves', () => {
    expect(settle(record(), record({ progress: 50 })).delta).toBe(0);
    const { budget: _b, ...old } = record();
    expect(settle(old, { ...old, state: 'succeed', credits: '3' })).toEqual({
      record: { ...old, state: 'succeed', credits: '3' },
      delta: 0,
    });
  });
  it('GIVEN a record that lost a race THEN release gives its estimate back once; a settled one gives nothing more', () => {
    const first = releaseOf(record());
    expect(first?.delta).toBe(-600);
    expect(first && releaseOf(first.record)).toBeUndefined();
    const settled = record({ state: 'failed', budget: { units: 6, settled: true, charged: 0 } });
    expect(releaseOf(settled)?.delta).toBe(0);
  });
});

describe('ALLOWED_MODELS', () => {
  it('GIVEN an empty list THEN every model is allowed', () => {
    expect(modelAllowed('kling-anything', [])).toBe(true);
  });
  it('GIVEN a list THEN a model is allowed under either of its ids (docs/sources.md: kling-3.0 = kling-v3)', () => {
    expect(modelAllowed('kling-v3', ['kling-3.0'])).toBe(true);
    expect(modelAllowed('kling-3.0', [' Kling-V3 '])).toBe(true);
    expect(modelAllowed('kling-v2-5-turbo', ['kling-2.5-turbo'])).toBe(true);
    expect(modelAllowed('kling-v3', ['kling-3.0-omni'])).toBe(false);
    expect(modelAllowed('kling-v9', ['kling-v3'])).toBe(false);
    expect(idsOf('kling-video-o1')).toEqual(['kling-video-o1', 'kling-o1']);
  });
  it('GIVEN an operator row pairing kling-4.0 with kling-v4 THEN either id passes a list naming the other', () => {
    const row = { ...BUILT_IN[0], id: 'kling-4.0', legacy: 'kling-v4', name: 'Kling 4.0' } as CapabilityRow;
    const table = [...BUILT_IN, row];
    expect(modelAllowed('kling-v4', ['kling-4.0'], table)).toBe(true);
    expect(modelAllowed('KLING-4.0', ['kling-v4'], table)).toBe(true);
    expect(modelAllowed('kling-v4', ['kling-4.0'], BUILT_IN)).toBe(false);
  });
});
