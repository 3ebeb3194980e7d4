/**
 * KLING_MODELS_FILE (issue 19): an operator's rows over the built-in table, checked at start with
 * the table's own schema; and models Kling refuses, which end as a failed card in plain words.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import {
  API_KEY,
  Cleanup,
  makeCore,
  makeInv,
  makeIo,
  startSim,
  waitFor,
  type CoreRig,
} from './helpers/core-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const dir = mkdtempSync(join(tmpdir(), 'kling-models-'));
let n = 0;
function file(rows: unknown): string {
  const path = join(dir, `models-${n++}.json`);
  writeFileSync(path, typeof rows === 'string' ? rows : JSON.stringify(rows));
  return path;
}

const KLING_40 = {
  name: 'Kling 4.0',
  id: 'kling-4.0',
  legacy: 'kling-v4',
  kind: 'text2video',
  source: 'https://docs.venice.ai (test row)',
  resolutions: ['720p', '1080p'],
  durations: { min: 3, max: 30 },
  aspectRatios: ['16:9', '9:16', '1:1', '21:9'],
};

async function run(rig: CoreRig, text: string) {
  const inv = makeInv({ userId: `u${n++}` });
  const io = makeIo(rig.port, inv);
  const posted = rig.port.events.length;
  await rig.dispatcher.runCommand('video', text, inv, io);
  const refusal = io.privates.find((p) => p.kind === 'notice' && p.tone === 'error');
  const taskId = rig.port.events.slice(posted).find((e) => e.type === 'post')?.taskId;
  return { refused: refusal?.kind === 'notice' ? refusal.text : undefined, taskId };
}

const env = { KLING_ACCESS_KEY: 'ak-models-file', KLING_SECRET_KEY: 'sk-models-file', STORE_URL: 'memory://' };

describe('KLING_MODELS_FILE', () => {
  it('a bad file stops start-up, naming the row (index and model) and the field', () => {
    const bad = file([KLING_40, { ...KLING_40, id: 'kling-4.1', durations: { min: 3, max: 90 } }, { name: 'x' }]);
    let err: unknown;
    try {
      loadConfig({ ...env, KLING_MODELS_FILE: bad }, { requirePlatform: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toContain(
      'KLING_MODELS_FILE: row 1 (kling-4.1): durations.max: Too big: expected number to be <=60',
    );
    expect(problems.some((p) => p.startsWith('KLING_MODELS_FILE: row 2 (no model id): '))).toBe(true);
    expect(problems.some((p) => p.includes('row 0'))).toBe(false);
    expect(() => loadConfig({ ...env, KLING_MODELS_FILE: file('{ not json') }, { requirePlatform: false })).toThrow(
      /KLING_MODELS_FILE: .* is not valid JSON/,
    );
    expect(() =>
      loadConfig({ ...env, KLING_MODELS_FILE: join(dir, 'absent.json') }, { requirePlatform: false }),
    ).toThrow(/cannot be read/);
  });

  it('a new row is used: its durations, ratios and name; a row for a built-in model replaces that row whole', async () => {
    const sim = await startSim(cleanup, { extraModels: ['kling-v4'] });
    const replaced = {
      name: 'Kling 2.5 Turbo (operator)',
      legacy: 'kling-v2-5-turbo',
      kind: 'text2video',
      source: 'operator test row',
      resolutions: ['720p'],
      durations: { oneOf: [5, 10, 15] },
      aspectRatios: ['16:9'],
    };
    const rig = await makeCore(cleanup, sim, { KLING_MODELS_FILE: file([KLING_40, replaced]) });
    // The 4.0 row: 25 s and 21:9 pass the bot and reach Kling under the legacy name (pair credentials).
    const four = await run(rig, 'a comet --model kling-4.0 --duration 25 --ar 21:9');
    expect(four.refused).toBeUndefined();
    await waitFor(
      'the 4.0 task finished',
      async () => (await rig.core.store.get(four.taskId ?? ''))?.state === 'succeed',
    );
    expect(sim.task(four.taskId ?? '')?.body).toMatchObject({
      model_name: 'kling-v4',
      duration: '25',
      aspect_ratio: '21:9',
    });
    expect(rig.port.lastView(four.taskId ?? '')?.fields.find((f) => f.label === 'Options')?.value).toMatch(
      /^Kling 4\.0 · /,
    );
    // The replaced row: pro is no longer offered (its row says 720p only), 9:16 neither.
    expect((await run(rig, 'a fox --model kling-v2-5-turbo --mode pro')).refused).toMatch(/mode/);
    expect((await run(rig, 'a fox --model kling-v2-5-turbo --ar 9:16')).refused).toMatch(/aspect_ratio/);
  });

  it('a model Kling refuses (a wrong operator row): the card says so in plain words, nothing stays in flight', async () => {
    const sim = await startSim(cleanup);
    const wrong = {
      name: 'Kling 2.5 Turbo',
      legacy: 'kling-v2-5-turbo',
      kind: 'text2video',
      source: 'a wrong operator row',
      resolutions: ['720p', '1080p'],
      durations: { oneOf: [5, 10, 15] },
      aspectRatios: ['16:9'],
    };
    const rig = await makeCore(cleanup, sim, { KLING_MODELS_FILE: file([wrong]) });
    const long = await run(rig, 'a fox --duration 15');
    const gone = await run(rig, 'a fox --model kling-v9-nope');
    expect(long.refused).toBeUndefined();
    for (const id of [long.taskId, gone.taskId]) {
      const rec = await waitFor('the refused task is final', async () => {
        const r = await rig.core.store.get(id ?? '');
        return r?.state === 'failed' ? r : undefined;
      });
      expect(rec.failureCode).toBe('refused');
      await waitFor('the card shows it', () => rig.port.lastView(id ?? '')?.state === 'failed');
    }
    expect(rig.port.lastView(long.taskId ?? '')?.notice).toMatch(/Kling rejected one of the options.*duration/);
    expect(rig.port.lastView(gone.taskId ?? '')?.notice).toMatch(/Kling does not know .*model.*kling-v9-nope/);
    expect(rig.core.tracker.liveCount()).toBe(0);
    expect(sim.stats.creates).toBe(0);
  });

  it('the money cap settles on what Kling charged (billing[] on the new standard), not on the row’s price', async () => {
    const sim = await startSim(cleanup, { auth: { apiKey: API_KEY } });
    // An operator's row prices 3.0 Turbo at 2 units a second: the estimate for 8 s is 16 units.
    const dearer = {
      name: 'Kling 3.0 Turbo (operator)',
      id: 'kling-3.0-turbo',
      kind: 'text2video',
      source: 'operator test row',
      resolutions: ['720p'],
      durations: { min: 3, max: 15 },
      aspectRatios: ['16:9'],
      units: { perSecond: { '720p': 2 }, source: 'operator test price' },
    };
    const rig = await makeCore(cleanup, sim, {
      KLING_API_KEY: API_KEY,
      KLING_MODELS_FILE: file([dearer]),
      USER_MAX_DAILY_UNITS: '50',
    });
    const { refused, taskId } = await run(rig, 'a comet --model kling-3.0-turbo --duration 8');
    expect(refused).toBeUndefined();
    const budget = await waitFor('the budget settled', async () => {
      const r = await rig.core.store.get(taskId ?? '');
      return r?.budget?.settled ? r.budget : undefined;
    });
    expect(budget.units).toBe(16);
    // The simulator's own price list: 0.8 units a second at 720p, billed in billing[] as 6.4 units.
    expect(budget.charged).toBe(6.4);
    expect(sim.calls.find((c) => c.op === 'create')?.path).toBe('/text-to-video/kling-3.0-turbo');
  });
});
