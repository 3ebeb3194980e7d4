/**
 * The capability table (issue 11): every rule, one combination it allows and one it refuses. A
 * refused one is a private error naming the model and the rule, and never reaches Kling (the
 * strict simulator counts every create); an allowed one is created, and the simulator — which
 * reads the same table — accepts it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CAPABILITIES, CapabilityRow, modelsFor, rowFor } from '../src/kling/capabilities.js';
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
  it('validates, cites a source on every row, and marks the gateway-only rows', () => {
    expect(() => CapabilityRow.array().parse(CAPABILITIES)).not.toThrow();
    for (const row of CAPABILITIES) {
      expect(row.source.length, `${row.model}/${row.kind}`).toBeGreaterThan(10);
      expect(row.units.basis).toMatch(/assumption|REF/);
    }
    expect(CAPABILITIES.filter((r) => r.gw).map((r) => r.model)).toEqual([
      'kling-v2-6',
      'kling-v2-6',
      'kling-v3',
      'kling-v3',
    ]);
    expect(modelsFor('text2video')).toEqual([
      'kling-v1',
      'kling-v1-6',
      'kling-v2-master',
      'kling-v2-1-master',
      'kling-v2-5-turbo',
      'kling-v2-6',
      'kling-v3',
    ]);
    expect(modelsFor('image2video')).toContain('kling-v2-1');
    expect(modelsFor('image')).toEqual(['kling-v1', 'kling-v1-5', 'kling-v2', 'kling-v2-new', 'kling-v2-1']);
  });

  it('a malformed row is refused when the table loads', () => {
    const bad = { model: 'kling-vx', kind: 'text2video', source: 'none', modes: ['std'], units: { basis: 'x' } };
    expect(CapabilityRow.safeParse(bad).success).toBe(false);
  });

  it('durations: v1–v2.6 "5"|"10", v3 3–15 s', () => {
    expect(rowFor('kling-v2-6', 'text2video')?.durations).toEqual({ oneOf: ['5', '10'] });
    expect(rowFor('kling-v3', 'image2video')?.durations).toEqual({ min: 3, max: 15 });
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
      says: /\*\*cfg_scale\*\*: kling-v2-6 does not accept cfg_scale/,
    },
    {
      rule: 'sound: v2.6 in pro only',
      command: 'video',
      allowed: 'a fox --model kling-v2-6 --mode pro --sound on',
      refused: 'a fox --model kling-v2-6 --sound on',
      says: /\*\*sound\*\*: kling-v2-6 has sound only in pro mode/,
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
      says: /\*\*end_image\*\*: kling-v2-5-turbo takes an end frame only in pro mode/,
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
      says: /kling-v2-1 does not accept cfg_scale/,
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
        model: 'kling-vx',
        kind: 'image',
        source: 'test row',
        aspectRatios: ['1:1'],
        maxImages: 4,
        units: { perImage: 1, basis: 'test' },
      },
      {
        model: 'kling-vy',
        kind: 'text2video',
        source: 'test row',
        modes: ['std'],
        durations: { oneOf: ['5'] },
        aspectRatios: ['16:9'],
        units: { per5s: { std: 1 }, basis: 'test' },
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
    expect(violationOf({ kind: 'text2video', model: 'kling-vy', aspectRatio: '16:9' }, narrow)).toBeUndefined();
    expect(violationOf({ kind: 'text2video', model: 'kling-vy', aspectRatio: '9:16' }, narrow)).toMatchObject({
      rule: 'aspect_ratio',
    });
  });

  it('extend: a row that does not allow it refuses it; the real table allows every video model (assumed, see its rows)', () => {
    const rows = CapabilityRow.array().parse([
      {
        model: 'kling-vz',
        kind: 'text2video',
        source: 'test row',
        modes: ['std'],
        durations: { oneOf: ['5'] },
        aspectRatios: ['16:9'],
        extend: false,
        units: { per5s: { std: 1 }, basis: 'test' },
      },
    ]);
    expect(violationOf({ kind: 'text2video', model: 'kling-vz', extend: true }, rows)).toMatchObject({
      rule: 'extend',
      message: 'kling-vz videos cannot be extended',
    });
    for (const model of modelsFor('text2video'))
      expect(violationOf({ kind: 'text2video', model, extend: true })).toBeUndefined();
  });

  it('aspect_ratio and n through the commands: what no model takes is refused by the option schema, with zero calls', async () => {
    const r = await rig();
    expect((await run(r, 'video', 'a fox --ar 4:3')).refused).toMatch(/aspect_ratio/);
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
      'kling-v3 · std · 5s · 16:9 · 🔊 with sound',
      'kling-v2-5-turbo · std · 5s · 16:9 · 🔇 no sound',
      'kling-v2-6 · pro · 5s · start + end frame · 🔇 no sound',
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
    const yes = await run(r, 'video', 'a fox --model kling-v4-turbo --duration 7 --mode pro');
    expect(yes.refused).toBeUndefined();
    expect(yes.body).toMatchObject({ model_name: 'kling-v4-turbo', duration: '7', mode: 'pro' });
    // Generic rules still hold: a length no model makes is refused before Kling.
    expect((await run(r, 'video', 'a fox --model kling-v4-turbo --duration 20')).refused).toMatch(/duration/);
    expect(r.sim.stats.creates).toBe(1);
  });
});

describe('the simulator refuses what the table forbids, with 400/1201 as Kling does', () => {
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
            ? { mode: 'std' }
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
    const names = suggest(video, 'model', '', {}, DEFAULTS).map((s) => s.value);
    expect(names[0]).toBe('kling-v2-5-turbo');
    expect(new Set(names)).toEqual(new Set(modelsFor('text2video')));
    expect(suggest(image, 'model', 'v2', {}, DEFAULTS).map((s) => s.value)).toEqual([
      'kling-v2-1',
      'kling-v2-new',
      'kling-v2',
    ]);
    expect(suggest(video, 'model', 'kling-v9-pro', {}, DEFAULTS)[0]).toMatchObject({ value: 'kling-v9-pro' });
    for (const s of suggest(video, 'model', '', {}, DEFAULTS)) expect(s.name.length).toBeLessThanOrEqual(100);
    // Durations follow the model chosen so far.
    expect(suggest(video, 'duration', '', { model: 'kling-v3' }, DEFAULTS).map((s) => s.value)).toEqual([
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
    expect(suggest(video, 'duration', '', {}, DEFAULTS).map((s) => s.value)).toEqual(['5', '10']);
  });

  it('/video help lists the flags and the models with what each takes (Slack’s way to see them)', async () => {
    const video = commandByName('video');
    if (!video) throw new Error('no /video');
    const text = usageText(video, 'kling-v2-5-turbo');
    expect(text).toContain('--model');
    expect(text).toContain('--duration 3–15');
    expect(text).toMatch(/• kling-v3: 3–15 s, std\|pro/);
    expect(text).toContain('• kling-v2-5-turbo (default)');
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
    expect(expectedUnits({ kind: 'image', model: 'kling-v2-1', n: 4 })).toBe(4);
    expect(expectedUnits({ kind: 'text2video', model: 'kling-v9', mode: 'std', duration: '5' })).toBeUndefined();
  });
});
