import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  mintTestJwt,
  startKlingSimulator,
  type KlingSimulator,
  type SimulatorOptions,
} from '../tools/kling-simulator/simulator.js';

const AK = 'test-access-key';
const SK = 'test-secret-key';
const T2V = '/v1/videos/text2video';
const I2V = '/v1/videos/image2video';
const IMG = '/v1/images/generations';

const envelopeSchema = z.object({ code: z.number(), message: z.string(), request_id: z.string() });
const taskSchema = z.object({
  task_id: z.string().regex(/^\d{16}$/),
  task_status: z.enum(['submitted', 'processing', 'succeed', 'failed']),
  task_status_msg: z.string(),
  task_info: z.object({ external_task_id: z.string().optional() }),
  created_at: z.number(),
  updated_at: z.number(),
  task_result: z
    .object({
      videos: z.array(z.object({ id: z.string(), url: z.string(), duration: z.string() })).optional(),
      images: z.array(z.object({ index: z.number(), url: z.string() })).optional(),
    })
    .optional(),
  final_unit_deduction: z.string().optional(),
});
const taskEnvelope = envelopeSchema.extend({ data: taskSchema });
const listEnvelope = envelopeSchema.extend({ data: z.array(taskSchema) });
const gatewayTask = z.object({
  code: z.literal('success'),
  message: z.string(),
  data: z.object({ task_id: z.string(), status: z.string(), progress: z.string(), data: taskEnvelope }),
});
const gatewayError = z.object({ code: z.string(), message: z.string(), data: envelopeSchema.nullable() });

let sims: KlingSimulator[] = [];
let servers: Server[] = [];

afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  sims = [];
  servers = [];
});

/** A manually advanced clock, so state progression tests never sleep. */
function manualClock(start = 1_750_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

async function start(opts: Partial<SimulatorOptions> = {}): Promise<KlingSimulator> {
  const sim = await startKlingSimulator({ auth: { accessKey: AK, secretKey: SK }, ...opts });
  sims.push(sim);
  return sim;
}

interface Reply {
  status: number;
  json: unknown;
  headers: Headers;
}

async function call(
  sim: KlingSimulator,
  method: string,
  path: string,
  opts: { body?: unknown; auth?: string | null; nowMs?: number; signal?: AbortSignal } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.auth !== null)
    headers['authorization'] =
      opts.auth ??
      `Bearer ${mintTestJwt(AK, SK, opts.nowMs === undefined ? undefined : Math.floor(opts.nowMs / 1000))}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(sim.url + path, {
    method,
    headers,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) as unknown, headers: res.headers };
}

function code(r: Reply): number {
  return envelopeSchema.parse(r.json).code;
}

function task(r: Reply): z.infer<typeof taskSchema> {
  return taskEnvelope.parse(r.json).data;
}

describe('auth (JWT)', () => {
  it('accepts a valid JWT', async () => {
    const sim = await start();
    const r = await call(sim, 'POST', T2V, { body: { prompt: 'a cat' } });
    expect(r.status).toBe(200);
    expect(code(r)).toBe(0);
    expect(envelopeSchema.parse(r.json).message).toBe('SUCCEED');
  });

  it('rejects a missing header with 1000', async () => {
    const sim = await start();
    const r = await call(sim, 'POST', T2V, { body: { prompt: 'a cat' }, auth: null });
    expect([r.status, code(r)]).toEqual([401, 1000]);
  });

  it('rejects a wrong secret or issuer with 1002', async () => {
    const sim = await start();
    const wrongSecret = await call(sim, 'GET', T2V, { auth: `Bearer ${mintTestJwt(AK, 'nope')}` });
    expect([wrongSecret.status, code(wrongSecret)]).toEqual([401, 1002]);
    const wrongIss = await call(sim, 'GET', T2V, { auth: `Bearer ${mintTestJwt('other', SK)}` });
    expect([wrongIss.status, code(wrongIss)]).toEqual([401, 1002]);
    const garbage = await call(sim, 'GET', T2V, { auth: 'Bearer abc.def' });
    expect([garbage.status, code(garbage)]).toEqual([401, 1002]);
  });

  it('rejects an expired token with 1004 and a not-yet-valid one with 1003', async () => {
    const sim = await start();
    const nowSec = Math.floor(Date.now() / 1000);
    const expired = await call(sim, 'GET', T2V, { auth: `Bearer ${mintTestJwt(AK, SK, nowSec - 100, 60)}` });
    expect([expired.status, code(expired)]).toEqual([401, 1004]);
    const future = await call(sim, 'GET', T2V, { auth: `Bearer ${mintTestJwt(AK, SK, nowSec + 30)}` });
    expect([future.status, code(future)]).toEqual([401, 1003]);
  });

  it('gateway mode takes an exact api key only', async () => {
    const sim = await start({ auth: { apiKey: 'gw-key' }, envelope: 'gateway', prefix: '/kling' });
    expect(sim.url).toBe(`${sim.origin}/kling`);
    const ok = await call(sim, 'POST', T2V, { body: { prompt: 'x' }, auth: 'Bearer gw-key' });
    expect(ok.status).toBe(200);
    const bad = await call(sim, 'POST', T2V, { body: { prompt: 'x' }, auth: 'Bearer gw-key2' });
    expect(bad.status).toBe(401);
    expect(gatewayError.parse(bad.json)).toMatchObject({ code: 'fail', data: { code: 1000 } });
  });
});

describe('task lifecycle', () => {
  it('goes submitted → processing → succeed with a downloadable video', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now, timing: { submittedMs: 50, processingMs: 100 } });
    const nowMs = clock.now();
    const created = task(
      await call(sim, 'POST', T2V, { body: { prompt: 'a cat', mode: 'pro', duration: '10' }, nowMs }),
    );
    expect(created.task_status).toBe('submitted');
    expect(created.created_at).toBe(nowMs);
    expect(created.task_result).toBeUndefined();
    expect(created.final_unit_deduction).toBeUndefined();

    clock.advance(60);
    const mid = task(await call(sim, 'GET', `${T2V}/${created.task_id}`, { nowMs }));
    expect(mid.task_status).toBe('processing');
    expect(mid.updated_at).toBe(nowMs + 50);

    clock.advance(100);
    const done = task(await call(sim, 'GET', `${T2V}/${created.task_id}`, { nowMs }));
    expect(done.task_status).toBe('succeed');
    expect(done.task_status_msg).toBe('');
    expect(done.updated_at).toBe(nowMs + 150);
    expect(done.final_unit_deduction).toBe('4');
    const video = done.task_result?.videos?.[0];
    expect(video?.duration).toBe('10.1');
    expect(video?.url).toBe(`${sim.origin}/media/${created.task_id}.mp4`);
    const media = await fetch(video?.url ?? '');
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('video/mp4');
    expect(sim.task(created.task_id)?.finishedAt).toBe(nowMs + 150);
  });

  it('progresses in real time with small timings', async () => {
    const sim = await start({ timing: { submittedMs: 30, processingMs: 60 } });
    const created = task(await call(sim, 'POST', T2V, { body: { prompt: 'a cat' } }));
    expect(created.task_status).toBe('submitted');
    // Poll until it is done (however slow this machine is: the test's own timeout is the bound), then
    // check every answer against the clock: it never goes back, and ends where the timings say. When
    // processing starts is checked exactly with a manual clock above; a slow poll may not see it here.
    const seen: Array<z.infer<typeof taskSchema>> = [created];
    while (seen.at(-1)?.task_status !== 'succeed') {
      seen.push(task(await call(sim, 'GET', `${T2V}/${created.task_id}`)));
    }
    const order = ['submitted', 'processing', 'succeed'];
    const ranks = seen.map((t) => order.indexOf(t.task_status));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(seen.at(-1)?.task_status).toBe('succeed');
    const startOf = (status: string) => seen.find((t) => t.task_status === status)?.updated_at;
    expect(startOf('succeed')).toBe(created.created_at + 90);
    expect(sim.task(created.task_id)?.finishedAt).toBe(created.created_at + 90);
  });

  it('reports a failed task as HTTP 200 code 0 with task_status failed', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now });
    const nowMs = clock.now();
    const created = task(await call(sim, 'POST', T2V, { body: { prompt: 'please sim:fail' }, nowMs }));
    clock.advance(10_000);
    const r = await call(sim, 'GET', `${T2V}/${created.task_id}`, { nowMs });
    expect(r.status).toBe(200);
    expect(code(r)).toBe(0);
    const t = task(r);
    expect(t.task_status).toBe('failed');
    expect(t.task_status_msg).toBe('Failure to pass the risk control system');
    expect(t.task_result).toBeUndefined();
    expect(sim.task(t.task_id)?.willFail).toBe(true);
  });

  it('generates n images with per-index URLs and deduction', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now });
    const nowMs = clock.now();
    const created = task(
      await call(sim, 'POST', IMG, { body: { prompt: 'a dog', n: 3, aspect_ratio: '21:9' }, nowMs }),
    );
    clock.advance(5_000);
    const done = task(await call(sim, 'GET', `${IMG}/${created.task_id}`, { nowMs }));
    expect(done.task_result?.images?.map((i) => i.url)).toEqual(
      [0, 1, 2].map((i) => `${sim.origin}/media/${created.task_id}-${i}.png`),
    );
    expect(done.final_unit_deduction).toBe('0.75');
    const png = await fetch(`${sim.origin}/media/${created.task_id}-2.png`);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect((await fetch(`${sim.origin}/media/${created.task_id}-3.png`)).status).toBe(404);
  });

  it('rejects unsafe prompts at create with 1301', async () => {
    const sim = await start();
    const r = await call(sim, 'POST', T2V, { body: { prompt: 'x sim:reject' } });
    expect([r.status, code(r)]).toEqual([400, 1301]);
    expect(sim.tasks()).toHaveLength(0);
  });
});

describe('create validation', () => {
  const cases: Array<[string, string, Record<string, unknown>, number, string]> = [
    ['mode "standard"', T2V, { prompt: 'x', mode: 'standard' }, 1201, 'mode'],
    ['numeric duration', T2V, { prompt: 'x', duration: 5 }, 1201, 'duration'],
    ['missing prompt', T2V, { mode: 'std' }, 1201, 'prompt'],
    ['prompt too long', T2V, { prompt: 'x'.repeat(2501) }, 1201, 'prompt'],
    [
      'image2video with aspect_ratio',
      I2V,
      { image: 'https://x.test/a.png', aspect_ratio: '16:9' },
      1201,
      'aspect_ratio',
    ],
    ['image2video without image', I2V, { prompt: 'x' }, 1201, 'image'],
    [
      'image with data: prefix',
      I2V,
      { image: 'data:image/png;base64,iVBORw0KGgo=' },
      1201,
      'image: base64 image must not carry a data: prefix',
    ],
    ['cfg_scale on kling-v2', T2V, { prompt: 'x', model_name: 'kling-v2-master', cfg_scale: 0.5 }, 1201, 'cfg_scale'],
    ['cfg_scale out of range', T2V, { prompt: 'x', cfg_scale: 1.5 }, 1201, 'cfg_scale'],
    ['unknown model', T2V, { prompt: 'x', model_name: 'kling-v9' }, 1203, 'model'],
    ['video model for images', IMG, { prompt: 'x', model_name: 'kling-v2-master' }, 1203, 'model'],
    ['n = 10', IMG, { prompt: 'x', n: 10 }, 1201, 'n'],
    ['video-only aspect ratio', T2V, { prompt: 'x', aspect_ratio: '4:3' }, 1201, 'aspect_ratio'],
    ['bad callback_url', T2V, { prompt: 'x', callback_url: 'not a url' }, 1201, 'callback_url'],
  ];
  it.each(cases)('%s → 400/%i naming the field', async (_name, path, body, expected, field) => {
    const sim = await start();
    const r = await call(sim, 'POST', path, { body });
    expect(r.status).toBe(400);
    expect(code(r)).toBe(expected);
    expect(envelopeSchema.parse(r.json).message).toContain(field);
    expect(sim.tasks()).toHaveLength(0);
  });

  it('accepts cfg_scale 0 on kling-v1 and raw base64 images', async () => {
    const sim = await start();
    expect(
      (await call(sim, 'POST', T2V, { body: { prompt: 'x', cfg_scale: 0, model_name: 'kling-v1-6' } })).status,
    ).toBe(200);
    expect((await call(sim, 'POST', I2V, { body: { image: 'iVBORw0KGgo=', model_name: 'kling-v3' } })).status).toBe(
      200,
    );
  });

  it('requires a JSON body', async () => {
    const sim = await start();
    const res = await fetch(sim.url + T2V, {
      method: 'POST',
      headers: { authorization: `Bearer ${mintTestJwt(AK, SK)}`, 'content-type': 'text/plain' },
      body: 'prompt=x',
    });
    expect(res.status).toBe(400);
    expect(envelopeSchema.parse(await res.json()).code).toBe(1200);
  });
});

describe('lookup, idempotency and listing', () => {
  it('answers a duplicate external_task_id with the existing task', async () => {
    const sim = await start();
    const body = { prompt: 'a cat', external_task_id: 'job-1' };
    const a = task(await call(sim, 'POST', T2V, { body }));
    const b = task(await call(sim, 'POST', T2V, { body }));
    const c = task(await call(sim, 'POST', IMG, { body }));
    expect(b.task_id).toBe(a.task_id);
    expect(c.task_id).toBe(a.task_id);
    expect(a.task_info.external_task_id).toBe('job-1');
    expect(sim.createsFor('job-1')).toBe(1);
    expect(sim.tasks()).toHaveLength(1);
    expect(sim.stats).toMatchObject({ creates: 1, duplicateCreates: 2 });
  });

  it('gets a task by external id, but only at its own kind path', async () => {
    const sim = await start();
    const a = task(await call(sim, 'POST', T2V, { body: { prompt: 'a cat', external_task_id: 'ext/42' } }));
    const byExt = task(await call(sim, 'GET', `${T2V}/${encodeURIComponent('ext/42')}`));
    expect(byExt.task_id).toBe(a.task_id);
    const wrongKind = await call(sim, 'GET', `${I2V}/${a.task_id}`);
    expect([wrongKind.status, code(wrongKind)]).toEqual([404, 1203]);
    const unknown = await call(sim, 'GET', `${T2V}/123`);
    expect([unknown.status, code(unknown)]).toEqual([404, 1203]);
  });

  it('lists newest first with paging, per kind', async () => {
    const sim = await start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(task(await call(sim, 'POST', T2V, { body: { prompt: `p${i}` } })).task_id);
    await call(sim, 'POST', IMG, { body: { prompt: 'other kind' } });
    const page1 = listEnvelope.parse((await call(sim, 'GET', `${T2V}?pageNum=1&pageSize=2`)).json).data;
    const page3 = listEnvelope.parse((await call(sim, 'GET', `${T2V}?pageNum=3&pageSize=2`)).json).data;
    const all = listEnvelope.parse((await call(sim, 'GET', T2V)).json).data;
    expect(page1.map((t) => t.task_id)).toEqual([ids[4], ids[3]]);
    expect(page3.map((t) => t.task_id)).toEqual([ids[0]]);
    expect(all.map((t) => t.task_id)).toEqual([...ids].reverse());
    const bad = await call(sim, 'GET', `${T2V}?pageSize=501`);
    expect([bad.status, code(bad)]).toEqual([400, 1201]);
    expect(sim.stats.lists).toBe(4);
  });
});

describe('limits', () => {
  it('refuses creates over the concurrency limit with 1303 until a slot frees', async () => {
    const clock = manualClock();
    const sim = await start({
      now: clock.now,
      concurrency: { video: 1, image: 2 },
      timing: { submittedMs: 100, processingMs: 100 },
    });
    const nowMs = clock.now();
    expect((await call(sim, 'POST', T2V, { body: { prompt: 'a' }, nowMs })).status).toBe(200);
    const over = await call(sim, 'POST', I2V, { body: { image: 'https://x.test/a.png' }, nowMs });
    expect([over.status, code(over)]).toEqual([429, 1303]);
    const images = await call(sim, 'POST', IMG, { body: { prompt: 'a', n: 3 }, nowMs });
    expect([images.status, code(images)]).toEqual([429, 1303]);
    expect((await call(sim, 'POST', IMG, { body: { prompt: 'a', n: 2 }, nowMs })).status).toBe(200);
    clock.advance(200);
    expect((await call(sim, 'POST', T2V, { body: { prompt: 'b' }, nowMs })).status).toBe(200);
  });

  it('rate-limits creates with 1302', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now, ratePerSecond: 2 });
    const nowMs = clock.now();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(sim, 'POST', T2V, { body: { prompt: 'a' }, nowMs })).status);
    expect(statuses).toEqual([200, 200, 429]);
    clock.advance(500);
    expect((await call(sim, 'POST', T2V, { body: { prompt: 'a' }, nowMs })).status).toBe(200);
  });
});

describe('gateway envelope', () => {
  it('wraps create/get with status and progress, and has no list', async () => {
    const clock = manualClock();
    const sim = await start({
      now: clock.now,
      auth: { apiKey: 'gw' },
      envelope: 'gateway',
      prefix: '/kling',
      timing: { submittedMs: 100, processingMs: 1000 },
    });
    const auth = 'Bearer gw';
    const created = gatewayTask.parse((await call(sim, 'POST', T2V, { body: { prompt: 'a' }, auth })).json);
    expect(created.data).toMatchObject({ status: 'SUBMITTED', progress: '0%' });
    expect(created.data.data.code).toBe(0);
    const id = created.data.task_id;
    expect(created.data.data.data.task_id).toBe(id);

    clock.advance(600);
    const mid = gatewayTask.parse((await call(sim, 'GET', `${T2V}/${id}`, { auth })).json);
    expect(mid.data).toMatchObject({ status: 'IN_PROGRESS', progress: '55%' });
    expect(mid.data.data.data.task_status).toBe('processing');

    clock.advance(1000);
    const done = gatewayTask.parse((await call(sim, 'GET', `${T2V}/${id}`, { auth })).json);
    expect(done.data).toMatchObject({ status: 'SUCCESS', progress: '100%' });

    const list = await call(sim, 'GET', T2V, { auth });
    expect(list.status).toBe(404);
    expect(list.json).toEqual({ code: 'not_found', message: 'list not supported', data: null });

    const invalid = await call(sim, 'POST', T2V, { body: { prompt: 'a', mode: 'standard' }, auth });
    expect(invalid.status).toBe(400);
    expect(gatewayError.parse(invalid.json)).toMatchObject({ code: 'fail', data: { code: 1201 } });

    // Without the prefix nothing is served.
    const res = await fetch(`${sim.origin}${T2V}/${id}`, { headers: { authorization: auth } });
    expect(res.status).toBe(404);
  });

  it('reports FAILURE for failed tasks', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now, auth: { apiKey: 'gw' }, envelope: 'gateway' });
    const id = gatewayTask.parse(
      (await call(sim, 'POST', T2V, { body: { prompt: 'sim:fail' }, auth: 'Bearer gw' })).json,
    ).data.task_id;
    clock.advance(60_000);
    const done = gatewayTask.parse((await call(sim, 'GET', `${T2V}/${id}`, { auth: 'Bearer gw' })).json);
    expect(done.data).toMatchObject({ status: 'FAILURE', progress: '100%' });
    expect(done.data.data.data.task_status).toBe('failed');
  });
});

describe('fault injection', () => {
  it('http500 / http503 consume one each, then answers are normal', async () => {
    const sim = await start();
    sim.faults.add({ kind: 'http500', times: 1 });
    sim.faults.add({ kind: 'http503', times: 1 });
    const a = await call(sim, 'GET', T2V);
    const b = await call(sim, 'GET', T2V);
    const c = await call(sim, 'GET', T2V);
    expect([a.status, code(a)]).toEqual([500, 5000]);
    expect([b.status, code(b)]).toEqual([503, 5001]);
    expect(c.status).toBe(200);
    expect(sim.stats.errors).toBe(2);
  });

  it('http429 carries Retry-After and creates nothing', async () => {
    const sim = await start();
    sim.faults.add({ kind: 'http429', times: 1, on: 'create' });
    const r = await call(sim, 'POST', T2V, { body: { prompt: 'a' } });
    expect([r.status, code(r)]).toEqual([429, 1302]);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(sim.tasks()).toHaveLength(0);
  });

  it('on filter: a create fault does not touch gets', async () => {
    const sim = await start();
    sim.faults.add({ kind: 'http500', times: 1, on: 'create' });
    expect((await call(sim, 'GET', T2V)).status).toBe(200);
    expect((await call(sim, 'POST', T2V, { body: { prompt: 'a' } })).status).toBe(500);
  });

  it('slow delays the answer past a client timeout, though the task was created', async () => {
    const sim = await start();
    // The answer is held until the client has given up, however slow this machine is.
    let release = (): void => undefined;
    sim.faults.add({ kind: 'slow', times: 1, on: 'create', until: new Promise<void>((r) => (release = r)) });
    const abort = new AbortController();
    const answered = call(sim, 'POST', T2V, {
      body: { prompt: 'a', external_task_id: 'slow-1' },
      signal: abort.signal,
    });
    await vi.waitFor(() => expect(sim.createsFor('slow-1')).toBe(1), { timeout: 10_000 });
    abort.abort(new Error('client timeout'));
    await expect(answered).rejects.toThrow('client timeout');
    release();
    expect(sim.createsFor('slow-1')).toBe(1);
    // A retry with the same external id is idempotent.
    const retry = await call(sim, 'POST', T2V, { body: { prompt: 'a', external_task_id: 'slow-1' } });
    expect(task(retry).task_id).toBe(sim.task('slow-1')?.taskId);
    expect(sim.createsFor('slow-1')).toBe(1);
  });

  it('slow without a client timeout answers normally after the delay', async () => {
    const sim = await start();
    sim.faults.add({ kind: 'slow', times: 1, delayMs: 150 });
    const started = Date.now();
    const r = await call(sim, 'GET', T2V);
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('malformed answers 200 with truncated JSON, or JSON missing data', async () => {
    const sim = await start();
    sim.faults.add({ kind: 'malformed', times: 1 });
    sim.faults.add({ kind: 'malformed', times: 1, variant: 'no-data' });
    const res = await fetch(sim.url + T2V, { headers: { authorization: `Bearer ${mintTestJwt(AK, SK)}` } });
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
    const r = await call(sim, 'GET', T2V);
    expect(r.status).toBe(200);
    expect(r.json).not.toHaveProperty('data');
    expect(code(r)).toBe(0);
  });

  it('reset destroys the socket', async () => {
    const sim = await start();
    sim.faults.add({ kind: 'reset', times: 1, on: 'get' });
    const error: unknown = await call(sim, 'GET', `${T2V}/1`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(z.object({ cause: z.object({ code: z.string() }) }).parse(error).cause.code).toBe('ECONNRESET');
    expect((await call(sim, 'GET', `${T2V}/1`)).status).toBe(404);
  });

  it('rate mode fires by probability; clear removes everything', async () => {
    const sim = await start();
    sim.faults.rate({ kind: 'http503', probability: 1, on: 'list' });
    expect((await call(sim, 'GET', T2V)).status).toBe(503);
    expect((await call(sim, 'GET', T2V)).status).toBe(503);
    sim.faults.clear();
    expect((await call(sim, 'GET', T2V)).status).toBe(200);
  });
});

describe('callbacks', () => {
  it('POSTs the bare task object on each status change', async () => {
    const received: Array<z.infer<typeof taskSchema>> = [];
    const receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        received.push(taskSchema.parse(JSON.parse(raw)));
        res.end('ok');
      });
    });
    servers.push(receiver);
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const port = (receiver.address() as AddressInfo).port;

    const sim = await start({ timing: { submittedMs: 30, processingMs: 60 } });
    const created = task(
      await call(sim, 'POST', T2V, { body: { prompt: 'a', callback_url: `http://127.0.0.1:${port}/cb` } }),
    );
    for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(received.map((t) => t.task_status)).toEqual(['processing', 'succeed']);
    expect(received.every((t) => t.task_id === created.task_id)).toBe(true);
    expect(received[1]?.task_result?.videos?.[0]?.url).toContain(created.task_id);
    expect(sim.stats.callbacksSent).toBe(2);
  });
});

describe('bookkeeping', () => {
  it('records calls and exposes simulator-only endpoints; reset forgets everything', async () => {
    const sim = await start();
    const jwt = mintTestJwt(AK, SK);
    const t = task(
      await call(sim, 'POST', T2V, { body: { prompt: 'a', external_task_id: 'e1' }, auth: `Bearer ${jwt}` }),
    );
    await call(sim, 'GET', `${T2V}/${t.task_id}`);
    expect(sim.calls.map((c) => [c.method, c.op, c.status])).toEqual([
      ['POST', 'create', 200],
      ['GET', 'get', 200],
    ]);
    expect(sim.calls[0]?.authorization).toBe(`Bearer ${jwt}`);
    expect(sim.calls[0]?.body).toEqual({ prompt: 'a', external_task_id: 'e1' });

    const stats = z
      .object({
        stats: z.object({ creates: z.number() }),
        tasks: z.array(z.object({ taskId: z.string(), externalTaskId: z.string() })),
      })
      .parse(await (await fetch(`${sim.origin}/__sim/stats`)).json());
    expect(stats.stats.creates).toBe(1);
    expect(stats.tasks[0]).toMatchObject({ taskId: t.task_id, externalTaskId: 'e1' });
    expect(await (await fetch(`${sim.origin}/__sim/creates/e1`)).json()).toEqual({ count: 1 });

    sim.reset();
    expect(sim.tasks()).toHaveLength(0);
    expect(sim.calls).toHaveLength(0);
    expect(sim.stats.creates).toBe(0);
    expect((await call(sim, 'GET', `${T2V}/${t.task_id}`)).status).toBe(404);
  });

  // A smoke test of scale: the work per create must not grow with the tasks already held (it would with
  // bookkeeping that walks every task). CPU per batch, compared within this run, so a loaded machine
  // (which slows every batch alike) cannot fail it; a wall-clock or absolute CPU bound could.
  it('handles many tasks cheaply: a create late in the run costs no more than an early one', async () => {
    const sim = await start({ concurrency: { video: 20_000 } });
    const jwt = `Bearer ${mintTestJwt(AK, SK)}`;
    const perBatchMs: number[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const before = process.cpuUsage();
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          call(sim, 'POST', T2V, { body: { prompt: 'p', external_task_id: `b${batch}-${i}` }, auth: jwt }),
        ),
      );
      const used = process.cpuUsage(before);
      perBatchMs.push((used.user + used.system) / 1000);
    }
    expect(sim.tasks()).toHaveLength(2000);
    expect(sim.task('b19-99')?.externalTaskId).toBe('b19-99');
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // The first batches warm up (compiling); after that the cost per batch falls (here about half by the end).
    // A render of every held task per create, say, makes the last batches cost ~1.6 times batches 3-7.
    expect(mean(perBatchMs.slice(-5)), JSON.stringify(perBatchMs)).toBeLessThan(1.3 * mean(perBatchMs.slice(3, 8)));
  });
});

describe('CLI', () => {
  it('prints one JSON line and serves until SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'tools/kling-simulator/simulator-cli.ts',
        '--port',
        '0',
        '--access-key',
        AK,
        '--secret-key',
        SK,
        '--submitted-ms',
        '10',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const rl = createInterface({ input: child.stdout });
      const [line] = (await once(rl, 'line')) as [string];
      const { url, origin } = z.object({ url: z.string(), origin: z.string() }).parse(JSON.parse(line));
      expect(url).toBe(origin);
      const res = await fetch(`${url}${T2V}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${mintTestJwt(AK, SK)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a', external_task_id: 'cli-1' }),
      });
      expect(res.status).toBe(200);
      expect(await (await fetch(`${origin}/__sim/creates/cli-1`)).json()).toEqual({ count: 1 });
    } finally {
      child.kill('SIGTERM');
    }
    const [exitCode] = (await once(child, 'exit')) as [number | null];
    expect(exitCode).toBe(0);
  }, 20_000);
});
