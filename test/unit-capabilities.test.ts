/**
 * The capability table (issue 11): every rule, one combination it allows and one it refuses. A
 * refused one is a private error naming the model and the rule, and never reaches Kling (the
 * strict simulator counts every create); an allowed one is created, and the simulator — which
 * reads the same table — accepts it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CapabilityRow } from '../src/kling/capabilities.js';
import { BUILT_IN, modelsFor, rowFor } from '../src/kling/model-table.js';
import { toKlingBody } from '../src/kling/client.js';
import { expectedUnits, violationOf } from '../src/kling/rules.js';
import { usageText } from '../src/render/usage.js';
import { commandByName } from '../commands/index.js';
import { suggest } from '../commands/suggest.js';
import { AK, Cleanup, makeCore, makeInv, makeIo, SK, startSim, waitFor, type CoreRig } from './helpers/core-harness.js';
import { mintTestJwt, type KlingSimulator } from '../tools/kling-simulator/simulator.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const IMAGE_URL = 'https://example.com/cat.png';
const DEFAULTS = { videoModel: 'kling-v2-5-turbo', imageModel: 'kling-v2-1' };

async function rig(opts: { extraModels?: string[] } = {}): Promise<{ sim: KlingSimulator; rig: CoreRig }> {
  const sim = await startSim(cleanup, opts.extraModels ? { extraModels: opts.extraModels } : {});
  return { sim, rig: await makeCore(cleanup, sim) };
}

/** Runs one command line; answers what was refused privately and what Kling received. */
async function run(r: { sim: KlingSimulator; rig: CoreRig }, command: string, text: string) {
  const inv = makeInv({ userId: `u${Math.random().toString(36).slice(2, 8)}` });
  const io = makeIo(r.rig.port, inv);
  const before = r.sim.stats.creates;
  const posted = r.rig.port.events.length;
  await r.rig.dispatcher.runCommand(command, text, inv, io);
  const refusal = io.privates.find((p) => p.kind === 'notice' && p.tone === 'error');
  if (refusal)
    return {
      refused: refusal.kind === 'notice' ? refusal.text : '',
      creates: r.sim.stats.creates - before,
      body: undefined,
    };
  const taskId = r.rig.port.events.slice(posted).find((e) => e.type === 'post')?.taskId ?? '';
  await waitFor('the create reached Kling', () => r.sim.task(taskId));
  const rec = await waitFor('the task was accepted', async () => {
    const got = await r.rig.core.store.get(taskId);
    return got && got.state !== 'pending' ? got : undefined;
  });
  return {
    refused: undefined,
    creates: r.sim.stats.creates - before,
    body: r.sim.task(taskId)?.body,
    state: rec.state,
  };
}

describe('the table itself', () => {
  it('validates, cites a public source on every row, and marks the rows whose legacy pairing only gateways state', () => {
    expect(() => CapabilityRow.array().parse(BUILT_IN)).not.toThrow();
    for (const row of BUILT_IN) {
      expect(row.source, `${row.name}/${row.kind}`).toMatch(/https:\/\//);
      if (row.units) expect(row.units.source).toMatch(/https:\/\//);
    }
    expect([...new Set(BUILT_IN.filter((r) => r.gw).map((r) => r.id))]).toEqual([
      'kling-2.5-turbo',
      'kling-2.6',
      'kling-3.0',
      'kling-3.0-omni',
      'kling-o1',
    ]);
    expect(modelsFor('text2video', BUILT_IN)).toEqual([
      'kling-v1',
      'kling-v1-6',
      'kling-v2-master',
      'kling-v2-1-master',
      'kling-2.5-turbo',
      'kling-2.6',
      'kling-3.0',
      'kling-3.0-turbo',
    ]);
    expect(modelsFor('image', BUILT_IN)).toEqual([
      'kling-v1',
      'kling-v1-5',
      'kling-v2',
      'kling-v2-new',
      'kling-v2-1',
      'kling-v3',
    ]);
  });

  it('either id finds the row; the new id and the legacy name are its two names', () => {
    expect(rowFor('kling-v2-5-turbo', 'text2video')?.id).toBe('kling-2.5-turbo');
    expect(rowFor('kling-2.5-turbo', 'image2video')?.legacy).toBe('kling-v2-5-turbo');
    expect(rowFor('kling-3.0-turbo', 'text2video')?.legacy).toBeUndefined();
    expect(rowFor('kling-v3', 'image')?.name).toBe('Kling 3.0 Image');
  });

  it('a malformed row is refused when the table loads', () => {
    const bad = { name: 'X', id: 'kling-x', kind: 'text2video', source: 'none', resolutions: ['720p'] };
    expect(CapabilityRow.safeParse(bad).success).toBe(false);
    expect(CapabilityRow.safeParse({ ...bad, durations: { min: 3, max: 15 }, aspectRatios: ['16:9'] }).success).toBe(
      true,
    );
    expect(
      CapabilityRow.safeParse({ ...bad, id: 'kling-../x', durations: { oneOf: [5] }, aspectRatios: ['16:9'] }).success,
    ).toBe(false);
  });

  it('durations: v1–v2.6 5|10, 3.0 3–15 s; extend only on v1.x', () => {
    expect(rowFor('kling-v2-6', 'text2video')?.durations).toEqual({ oneOf: [5, 10] });
    expect(rowFor('kling-v3', 'image2video')?.durations).toEqual({ min: 3, max: 15 });
    expect(BUILT_IN.filter((r) => r.extend).map((r) => r.legacy)).toEqual([
      'kling-v1',
      'kling-v1',
      'kling-v1-5',
      'kling-v1-6',
      'kling-v1-6',
    ]);
  });
});

describe('every rule: one allowed, one refused (zero Kling calls)', () => {
  const cases: Array<{ rule: string; command: string; allowed: string; refused: string; says: RegExp }> = [
    {
      rule: 'model exists for the command',
      command: 'video',
      allowed: 'a fox --model kling-v1-6',
      refused: 'a fox --model kling-v2-1',
      says: /\*\*model\*\*: kling-v2-1 does not make text-to-video/,
    },
    {
      rule: 'model exists for the command (images)',
      command: 'image',
      allowed: 'a lighthouse --model kling-v2-new',
      refused: 'a lighthouse --model kling-v2-5-turbo',
      says: /kling-v2-5-turbo does not make images/,
    },
    {
      rule: 'mode (no mode choice)',
      command: 'video',
      allowed: 'a fox --model kling-v2-master',
      refused: 'a fox --model kling-v2-master --mode pro',
      says: /\*\*mode\*\*: kling-v2-master has no mode choice/,
    },
    {
      rule: 'duration 5|10',
      command: 'video',
      allowed: 'a fox --model kling-v2-5-turbo --duration 10',
      refused: 'a fox --model kling-v2-5-turbo --duration 15',
      says: /\*\*duration\*\*: kling-v2-5-turbo makes 5 or 10 seconds videos \(not 15\)/,
    },
    {
      rule: 'duration 3–15 (v3)',
      command: 'video',
      allowed: 'a fox --model kling-v3 --duration 15',
      refused: 'a fox --model kling-v1 --duration 3',
      says: /kling-v1 makes 5 or 10 seconds/,
    },
    {
      rule: 'cfg_scale (not on v2.x)',
      command: 'video',
      allowed: 'a fox --model kling-v1 --cfg 0',
      refused: 'a fox --model kling-v2-6 --cfg 0.5',
      says: /\*\*cfg_scale\*\*: kling-v2-6 does not take cfg_scale/,
    },
    {
      rule: 'sound: v2.6 in pro only',
      command: 'video',
      allowed: 'a fox --model kling-v2-6 --mode pro --sound on',
      refused: 'a fox --model kling-v2-6 --sound on',
      says: /\*\*sound\*\*: kling-v2-6 has sound only at 1080p/,
    },
    {
      rule: 'sound: not on v2.5',
      command: 'video',
      allowed: 'a fox --model kling-v3 --mode std --sound on',
      refused: 'a fox --model kling-v2-5-turbo --sound on',
      says: /kling-v2-5-turbo makes silent videos only/,
    },
    {
      rule: 'end frame: pro only on v1.5–v2.6',
      command: 'animate',
      allowed: `waves --image ${IMAGE_URL} --end ${IMAGE_URL} --model kling-v2-5-turbo --mode pro`,
      refused: `waves --image ${IMAGE_URL} --end ${IMAGE_URL} --model kling-v2-5-turbo`,
      says: /\*\*end_image\*\*: kling-v2-5-turbo takes an end frame only at 1080p/,
    },
    {
      rule: 'end frame: none on v1',
      command: 'animate',
      allowed: `waves --image ${IMAGE_URL} --end ${IMAGE_URL} --model kling-v1-6 --mode pro`,
      refused: `waves --image ${IMAGE_URL} --end ${IMAGE_URL} --model kling-v1 --mode pro`,
      says: /kling-v1 takes no end frame/,
    },
    {
      rule: 'cfg_scale on image2video',
      command: 'animate',
      allowed: `waves --image ${IMAGE_URL} --model kling-v1-5 --cfg 0.4`,
      refused: `waves --image ${IMAGE_URL} --model kling-v2-1 --cfg 0.4`,
      says: /kling-v2-1 does not take cfg_scale/,
    },
  ];

  it.each(cases)('$rule', async ({ command, allowed, refused, says }) => {
    const r = await rig();
    const no = await run(r, command, refused);
    expect(no.refused).toMatch(says);
    expect(no.refused).toContain('Nothing was sent to Kling');
    expect(no.creates).toBe(0);
    const yes = await run(r, command, allowed);
    expect(yes.refused).toBeUndefined();
    expect(yes.creates).toBe(1);
    expect(yes.state).not.toBe('failed');
  });

  it('aspect_ratio and n: rules of the table, refused by it (a table with a narrower row)', () => {
    const narrow = CapabilityRow.array().parse([
      {
        name: 'X',
        legacy: 'kling-vx',
        kind: 'image',
        source: 'test row',
        resolutions: ['1k'],
        aspectRatios: ['1:1'],
        maxImages: 4,
      },
      {
        name: 'Y',
        id: 'kling-y.1',
        kind: 'text2video',
        source: 'test row',
        resolutions: ['720p'],
        durations: { oneOf: [5] },
        aspectRatios: ['16:9'],
      },
    ]);
    expect(violationOf({ kind: 'image', model: 'kling-vx', aspectRatio: '1:1', n: 4 }, narrow)).toBeUndefined();
    expect(violationOf({ kind: 'image', model: 'kling-vx', aspectRatio: '16:9' }, narrow)).toMatchObject({
      rule: 'aspect_ratio',
      message: 'kling-vx takes aspect ratios 1:1 (not 16:9)',
    });
    expect(violationOf({ kind: 'image', model: 'kling-vx', n: 5 }, narrow)).toMatchObject({
      rule: 'n',
      message: 'kling-vx makes at most 4 images at once',
    });
    expect(violationOf({ kind: 'text2video', model: 'kling-y.1', aspectRatio: '16:9' }, narrow)).toBeUndefined();
    expect(violationOf({ kind: 'text2video', model: 'kling-y.1', aspectRatio: '9:16' }, narrow)).toMatchObject({
      rule: 'aspect_ratio',
    });
    expect(violationOf({ kind: 'text2video', model: 'kling-y.1', mode: 'pro' }, narrow)).toMatchObject({
      rule: 'mode',
    });
  });

  it('extend: only where a source documents it (v1.x); the default model kling-v2-5-turbo loses it', () => {
    expect(violationOf({ kind: 'text2video', model: 'kling-v1-6', extend: true })).toBeUndefined();
    expect(violationOf({ kind: 'image2video', model: 'kling-v1-5', extend: true })).toBeUndefined();
    for (const model of ['kling-v2-5-turbo', 'kling-2.6', 'kling-v3', 'kling-3.0-turbo'])
      expect(violationOf({ kind: 'text2video', model, extend: true })).toMatchObject({ rule: 'extend' });
  });

  it('aspect_ratio and n through the commands: what no model takes is refused by the option schema, with zero calls', async () => {
    const r = await rig();
    expect((await run(r, 'video', 'a fox --ar 4:3')).refused).toMatch(
      /aspect_ratio.*kling-v2-5-turbo takes aspect ratios 16:9, 9:16, 1:1/,
    );
    expect((await run(r, 'video', 'a fox --ar wide')).refused).toMatch(/aspect_ratio.*width:height/);
    expect((await run(r, 'image', 'a lighthouse --n 10')).refused).toMatch(/\*\*n\*\*/);
    expect(r.sim.stats.creates).toBe(0);
    expect((await run(r, 'image', 'a lighthouse --n 9 --ar 21:9')).creates).toBe(1);
  });
});

describe('sound and end frame reach Kling only where the table allows them', () => {
  it('sound is sent to models that have it (on or off), never to the others', async () => {
    const r = await rig();
    expect((await run(r, 'video', 'a fox --model kling-v3 --duration 15 --sound on')).body).toMatchObject({
      model_name: 'kling-v3',
      duration: '15',
      sound: 'on',
    });
    expect((await run(r, 'video', 'a fox --model kling-v3')).body).toMatchObject({ sound: 'off' });
    expect((await run(r, 'video', 'a fox --model kling-v2-6 --mode pro')).body).toMatchObject({ sound: 'off' });
    // v2.6 std and v2.5 have no sound: the field is not sent at all, even as off.
    expect((await run(r, 'video', 'a fox --model kling-v2-6 --mode std --sound off')).body).not.toHaveProperty('sound');
    expect((await run(r, 'video', 'a fox --model kling-v2-5-turbo')).body).not.toHaveProperty('sound');
    expect((await run(r, 'animate', `waves --image ${IMAGE_URL} --model kling-v3 --sound on`)).body).toMatchObject({
      sound: 'on',
    });
  });

  it('the card says whether the video has sound, and shows the end frame', async () => {
    const r = await rig();
    await run(r, 'video', 'a fox --model kling-v3 --sound on');
    await run(r, 'video', 'a fox --model kling-v2-5-turbo');
    await run(r, 'animate', `waves --image ${IMAGE_URL} --end ${IMAGE_URL} --model kling-v2-6 --mode pro`);
    const options = r.rig.port.events
      .filter((e) => e.type === 'post')
      .map((e) => e.view.fields.find((f) => f.label === 'Options')?.value);
    expect(options).toEqual([
      'Kling 3.0 · std · 5s · 16:9 · 🔊 with sound',
      'Kling 2.5 Turbo · std · 5s · 16:9 · 🔇 no sound',
      'Kling 2.6 · pro · 5s · start + end frame · 🔇 no sound',
    ]);
  });

  it('image_tail (and image) go out as a URL or bare base64, never with a data: prefix', async () => {
    const r = await rig();
    const url = await run(
      r,
      'animate',
      `waves --image ${IMAGE_URL} --end https://example.com/end.jpg --model kling-v2-1 --mode pro`,
    );
    expect(url.body).toMatchObject({ image: IMAGE_URL, image_tail: 'https://example.com/end.jpg' });
    const b64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    const req = {
      kind: 'image2video' as const,
      image: `data:image/png;base64,${b64}`,
      image_tail: `data:image/jpeg;base64,${b64}`,
      model: 'kling-v2-1',
      mode: 'pro' as const,
      duration: '5',
    };
    const body = toKlingBody(req, 'ext-b64');
    expect(body).toMatchObject({ image: b64, image_tail: b64 });
    expect(JSON.stringify(body)).not.toContain('data:');
    // The simulator refuses a data: prefix (as Kling does); the bare base64 is accepted.
    await r.rig.core.kling.create(req, 'ext-b64');
    expect(r.sim.task('ext-b64')?.body).toMatchObject({ image: b64, image_tail: b64 });
  });
});

describe('a model missing from the table', () => {
  it('is sent to Kling as given, with the generic rules (a new Kling model needs no release)', async () => {
    const r = await rig({ extraModels: ['kling-v4-turbo'] });
    const yes = await run(r, 'video', 'a fox --model kling-v4-turbo --duration 20 --mode pro --ar 21:9');
    expect(yes.refused).toBeUndefined();
    expect(yes.body).toMatchObject({ model_name: 'kling-v4-turbo', duration: '20', mode: 'pro', aspect_ratio: '21:9' });
    await waitFor(
      'the unknown model finished',
      async () => (await r.rig.core.store.get(r.sim.tasks()[0]?.externalTaskId ?? ''))?.state === 'succeed',
      20_000,
    );
    // Only the sanity bounds hold: past a minute is refused before Kling.
    expect((await run(r, 'video', 'a fox --model kling-v4-turbo --duration 61')).refused).toMatch(/duration.*1 to 60/);
    expect(r.sim.stats.creates).toBe(1);
  });
});

describe('the table against the simulator’s own copy of Kling’s rules', () => {
  it('every combination a legacy row allows is accepted by the simulator (a wrong row fails here)', async () => {
    const sim = await startSim(cleanup);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${mintTestJwt(AK, SK)}` };
    const refused: string[] = [];
    for (const row of BUILT_IN) {
      if (!row.legacy || row.kind === 'omni') continue;
      const kind = row.kind;
      const path = kind === 'image' ? '/v1/images/generations' : `/v1/videos/${kind}`;
      const bodies: Array<Record<string, unknown>> = [];
      if (kind === 'image')
        for (const ar of row.aspectRatios ?? []) bodies.push({ prompt: 'x', aspect_ratio: ar, n: row.maxImages });
      else
        for (const mode of row.modeChoice ? ['std', 'pro'] : [undefined])
          for (const seconds of 'oneOf' in row.durations!
            ? row.durations.oneOf
            : [row.durations!.min, row.durations!.max]) {
            const ask = { kind, model: row.legacy, duration: String(seconds), ...(mode ? { mode } : {}) };
            if (violationOf(ask)) continue;
            const base = {
              ...(kind === 'text2video' ? { prompt: 'x' } : { image: IMAGE_URL }),
              ...(mode ? { mode } : {}),
              duration: String(seconds),
            };
            bodies.push(base);
            if (!violationOf({ ...ask, sound: 'on' })) bodies.push({ ...base, sound: 'on' });
            if (kind === 'image2video' && !violationOf({ ...ask, endFrame: true }))
              bodies.push({ ...base, image_tail: IMAGE_URL });
          }
      for (const body of bodies) {
        const res = await fetch(`${sim.url}${path}`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ ...body, model_name: row.legacy }),
        });
        if (res.status !== 200) refused.push(`${row.legacy} ${kind} ${JSON.stringify(body)}: ${await res.text()}`);
      }
    }
    expect(refused).toEqual([]);
    expect(sim.stats.creates).toBeGreaterThan(60);
  });
});

describe('the simulator refuses what Kling’s docs forbid, with 400/1201 as Kling does', () => {
  const post = async (sim: KlingSimulator, path: string, body: Record<string, unknown>) => {
    const res = await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${mintTestJwt(AK, SK)}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { code: number; message: string } };
  };
  const refusedBodies: Array<[string, string, Record<string, unknown>, string]> = [
    [
      'duration 15 on v2.5',
      '/v1/videos/text2video',
      { prompt: 'x', model_name: 'kling-v2-5-turbo', duration: '15' },
      'duration',
    ],
    [
      'mode pro on v2-master',
      '/v1/videos/text2video',
      { prompt: 'x', model_name: 'kling-v2-master', mode: 'pro' },
      'mode',
    ],
    ['cfg_scale on v3', '/v1/videos/text2video', { prompt: 'x', model_name: 'kling-v3', cfg_scale: 0.5 }, 'cfg_scale'],
    [
      'sound on v2.6 std',
      '/v1/videos/text2video',
      { prompt: 'x', model_name: 'kling-v2-6', mode: 'std', sound: 'on' },
      'sound',
    ],
    [
      'image_tail on v2.5 std',
      '/v1/videos/image2video',
      { image: IMAGE_URL, image_tail: IMAGE_URL, model_name: 'kling-v2-5-turbo', mode: 'std' },
      'image_tail',
    ],
  ];
  it.each(refusedBodies)('%s', async (_name, path, body, field) => {
    const sim = await startSim(cleanup);
    const r = await post(sim, path, body);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe(1201);
    expect(r.json.message).toContain(field);
    expect(sim.stats.creates).toBe(0);
    expect(
      (
        await post(sim, path, {
          ...body,
          ...(field === 'mode'
            ? { mode: undefined }
            : field === 'duration'
              ? { duration: '10' }
              : field === 'cfg_scale'
                ? { cfg_scale: undefined }
                : { mode: 'pro' }),
        })
      ).status,
    ).toBe(200);
  });
});

describe('defaults, suggestions and help from the table', () => {
  it('the mode defaults to the model’s own; no mode is sent to a model without one', async () => {
    const r = await rig();
    expect((await run(r, 'video', 'a fox --model kling-v2-1-master')).body).not.toHaveProperty('mode');
    expect((await run(r, 'video', 'a fox')).body).toMatchObject({
      model_name: 'kling-v2-5-turbo',
      mode: 'std',
      duration: '5',
    });
  });

  it('KLING_DEFAULT_MODEL and KLING_DEFAULT_IMAGE_MODEL still win over the built-in defaults', async () => {
    const sim = await startSim(cleanup);
    const r = {
      sim,
      rig: await makeCore(cleanup, sim, { KLING_DEFAULT_MODEL: 'kling-v1-6', KLING_DEFAULT_IMAGE_MODEL: 'kling-v1' }),
    };
    expect((await run(r, 'video', 'a fox')).body).toMatchObject({ model_name: 'kling-v1-6' });
    expect((await run(r, 'image', 'a lighthouse')).body).toMatchObject({ model_name: 'kling-v1' });
  });

  it('model suggestions list only the models of that command, newest first, the default on top; an unknown name is offered as typed', () => {
    const video = commandByName('video');
    const image = commandByName('image');
    if (!video || !image) throw new Error('commands missing');
    const names = suggest(video, 'model', '', {}, DEFAULTS, () => true).map((s) => s.value);
    expect(names[0]).toBe('kling-2.5-turbo');
    expect(names.slice(1)).toEqual([
      'kling-3.0-turbo',
      'kling-3.0',
      'kling-2.6',
      'kling-v2-1-master',
      'kling-v2-master',
      'kling-v1-6',
      'kling-v1',
    ]);
    expect(suggest(image, 'model', 'v2', {}, DEFAULTS, () => true).map((s) => s.value)).toEqual([
      'kling-v2-1',
      'kling-v2-new',
      'kling-v2',
    ]);
    expect(suggest(video, 'model', 'kling-3.0', {}, DEFAULTS, () => true).map((s) => s.value)).toEqual([
      'kling-3.0-turbo',
      'kling-3.0',
    ]);
    expect(suggest(video, 'aspect_ratio', '', { model: 'kling-v3' }, DEFAULTS, () => true).map((s) => s.value)).toEqual(
      ['16:9', '9:16', '1:1'],
    );
    expect(suggest(video, 'aspect_ratio', '21:9', {}, DEFAULTS, () => true).map((s) => s.value)).toEqual(['21:9']);
    expect(suggest(video, 'model', 'kling-v9-pro', {}, DEFAULTS, () => true)[0]).toMatchObject({
      value: 'kling-v9-pro',
    });
    for (const s of suggest(video, 'model', '', {}, DEFAULTS, () => true))
      expect(s.name.length).toBeLessThanOrEqual(100);
    // Durations follow the model chosen so far.
    expect(suggest(video, 'duration', '', { model: 'kling-3.0' }, DEFAULTS, () => true).map((s) => s.value)).toEqual([
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
      '11',
      '12',
      '13',
      '14',
      '15',
    ]);
    expect(suggest(video, 'duration', '', {}, DEFAULTS, () => true).map((s) => s.value)).toEqual(['5', '10']);
    // A model the table does not know: the sanity bounds, 1 to 60 s.
    expect(suggest(video, 'duration', '3', { model: 'kling-9.0' }, DEFAULTS, () => true).map((s) => s.value)).toEqual([
      '3',
      '30',
      '31',
      '32',
      '33',
      '34',
      '35',
      '36',
      '37',
      '38',
      '39',
    ]);
  });

  it('/video help lists the flags and the models with what each takes (Slack’s way to see them)', async () => {
    const video = commandByName('video');
    if (!video) throw new Error('no /video');
    const text = usageText(video, 'kling-v2-5-turbo');
    expect(text).toContain('--model');
    expect(text).toContain('--duration');
    expect(text).toMatch(/• kling-3.0: Kling 3.0, also kling-v3, 3–15 s, 720p\|1080p\|4k, sound/);
    expect(text).toContain('• kling-2.5-turbo (default): Kling 2.5 Turbo, also kling-v2-5-turbo');
    expect(text).toMatch(/• kling-v1: Kling 1.0, .*extend/);
    const r = await rig();
    const inv = makeInv();
    const io = makeIo(r.rig.port, inv);
    await r.rig.dispatcher.runCommand('video', 'help', inv, io);
    expect(io.privates[0]).toMatchObject({
      kind: 'notice',
      tone: 'info',
      text: expect.stringContaining('Models for /video'),
    });
    expect(r.sim.stats.creates).toBe(0);
  });

  it('expected units come from the table, by model, mode, duration and sound', () => {
    expect(expectedUnits({ kind: 'text2video', model: 'kling-v2-5-turbo', mode: 'std', duration: '5' })).toBe(1.5);
    expect(expectedUnits({ kind: 'text2video', model: 'kling-v2-5-turbo', mode: 'pro', duration: '10' })).toBe(5);
    expect(expectedUnits({ kind: 'text2video', model: 'kling-v3', mode: 'pro', duration: '15', sound: 'on' })).toBe(18);
    expect(expectedUnits({ kind: 'image', model: 'kling-v2-1', n: 4 })).toBe(32);
    expect(expectedUnits({ kind: 'text2video', model: 'kling-3.0-turbo', mode: 'pro', duration: '8' })).toBe(8);
    expect(expectedUnits({ kind: 'text2video', model: 'kling-v1', mode: 'std', duration: '5' })).toBeUndefined();
    expect(expectedUnits({ kind: 'text2video', model: 'kling-v9', mode: 'std', duration: '5' })).toBeUndefined();
  });
});

describe('the omni rows (REFERENCE, "Kling models" and "Kling omni", written out here)', () => {
  it('3.0 Omni: both ids, 720p/1080p/4k, 3–15 s, multi-shot, 7 references, a 3–15.5 s 700–4,553 px video, its prices', () => {
    expect(rowFor('kling-v3-omni', 'omni')).toMatchObject({
      id: 'kling-3.0-omni',
      legacy: 'kling-v3-omni',
      resolutions: ['720p', '1080p', '4k'],
      durations: { min: 3, max: 15 },
      multiShot: true,
      references: 7,
      referenceVideo: { minSeconds: 3, maxSeconds: 15.5, minSide: 700, maxSide: 4553, maxArea: 8_294_400 },
      units: {
        perSecond: { '720p': 0.6, '1080p': 0.8, '4k': 3 },
        audioPerSecond: { '720p': 0.8, '1080p': 1, '4k': 3 },
      },
    });
  });

  it('O1: both ids, 720p/1080p, 3–10 s, no multi-shot, silent, a 3–10 s 700–2,160 px video, its prices', () => {
    expect(rowFor('kling-o1', 'omni')).toMatchObject({
      legacy: 'kling-video-o1',
      resolutions: ['720p', '1080p'],
      durations: { min: 3, max: 10 },
      multiShot: false,
      audio: [],
      referenceVideo: { minSeconds: 3, maxSeconds: 10, minSide: 700, maxSide: 2160 },
      units: { perSecond: { '720p': 0.6, '1080p': 0.8 } },
    });
    expect(modelsFor('omni', BUILT_IN)).toEqual(['kling-3.0-omni', 'kling-o1']);
  });
});
