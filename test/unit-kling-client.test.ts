import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { GenerationRequest } from '../src/domain.js';
import { KlingClient, type KlingClientOptions } from '../src/kling/client.js';
import { KlingError, type KlingErrorKind } from '../src/kling/errors.js';
import { parseTaskBody } from '../src/kling/schemas.js';
import { mintTestJwt, type KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { AK, API_KEY, Cleanup, SK, startSim, waitFor } from './helpers/core-harness.js';
import { startScriptedServer } from './helpers/core-scripted-server.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const T2V: GenerationRequest = {
  kind: 'text2video',
  prompt: 'a red fox in snow',
  model: 'kling-v1',
  mode: 'std',
  duration: '5',
  aspect_ratio: '16:9',
};

function manualClock(start = Date.now()) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function client(sim: { url: string }, over: Partial<KlingClientOptions> = {}): KlingClient {
  return new KlingClient({
    baseUrl: sim.url,
    auth: { type: 'jwt', accessKey: AK, secretKey: SK },
    retries: 0,
    backoffBaseMs: 5,
    ...over,
  });
}

async function klingErrorOf(p: Promise<unknown>): Promise<KlingError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KlingError) return err;
    throw new Error(`expected a KlingError, got ${String(err)}`);
  }
  throw new Error('expected the call to fail');
}

/** A user sentence: plain text, and nothing that could be a credential. */
function expectSafe(err: KlingError, kind: KlingErrorKind, secrets: readonly string[] = [AK, SK, API_KEY]): void {
  expect(err.kind).toBe(kind);
  expect(err.code).toBe(`kling_${kind}`);
  expect(err.userMessage).toMatch(/^[A-Z][^]*[.)]$/);
  for (const text of [err.userMessage, err.message]) {
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).not.toMatch(/Bearer|eyJ/);
  }
}

const createBodies = (sim: KlingSimulator) =>
  sim.calls.filter((c) => c.op === 'create').map((c) => z.record(z.string(), z.unknown()).parse(c.body));

describe('Kling client: one typed task from every envelope', () => {
  it('official envelope: submitted → processing → succeed with video, credits and external id', async () => {
    const clock = manualClock();
    const sim = await startSim(cleanup, { now: clock.now, timing: { submittedMs: 50, processingMs: 100 } });
    const kling = client(sim, { now: clock.now });
    const created = await kling.create({ ...T2V, mode: 'pro', duration: '10' }, 'ext-official-1');
    expect(created).toMatchObject({ status: 'submitted', externalTaskId: 'ext-official-1', createdAt: clock.now() });
    expect(created.taskId).toMatch(/^\d+$/);
    expect(created.progress).toBeUndefined();
    expect(created.result).toBeUndefined();

    clock.advance(60);
    const mid = await kling.get('text2video', created.taskId);
    expect(mid.status).toBe('processing');
    expect(mid.progress).toBeUndefined(); // the official API has no percentage

    clock.advance(100);
    const done = await kling.get('text2video', created.taskId);
    expect(done.status).toBe('succeed');
    expect(done.credits).toBe('4');
    expect(done.result?.videos).toEqual([
      { id: expect.any(String), url: `${sim.origin}/media/${created.taskId}.mp4`, duration: '10.1' },
    ]);
    // Our own id finds the same task (what a resumed `pending` task relies on).
    expect((await kling.get('text2video', 'ext-official-1')).taskId).toBe(created.taskId);
  });

  it('gateway envelope: Bearer key, unified status and the percentage become status and progress', async () => {
    const clock = manualClock();
    const sim = await startSim(cleanup, {
      now: clock.now,
      envelope: 'gateway',
      prefix: '/kling',
      auth: { apiKey: API_KEY },
      timing: { submittedMs: 50, processingMs: 100 },
    });
    const kling = new KlingClient({
      baseUrl: sim.url,
      auth: { type: 'bearer', apiKey: API_KEY },
      retries: 0,
      now: clock.now,
    });
    const created = await kling.create(T2V, 'ext-gw-1');
    expect(created).toMatchObject({ status: 'submitted', progress: 0, externalTaskId: 'ext-gw-1' });
    expect(sim.calls[0]?.authorization).toBe(`Bearer ${API_KEY}`);

    clock.advance(100); // half-way through processing: the gateway says 10 + 45 = 55 %
    const mid = await kling.get('text2video', created.taskId);
    expect(mid).toMatchObject({ status: 'processing', progress: 55 });

    clock.advance(50);
    const done = await kling.get('text2video', created.taskId);
    expect(done).toMatchObject({ status: 'succeed', progress: 100, credits: '1' });
    // The URL sits at data.data.data.task_result.videos[0].url in the raw answer.
    expect(done.result?.videos[0]?.url).toBe(`${sim.origin}/media/${created.taskId}.mp4`);
  });

  it('a bare task object (callback body) parses to the same task as its envelope', async () => {
    const clock = manualClock();
    const sim = await startSim(cleanup, { now: clock.now, timing: { submittedMs: 10, processingMs: 10 } });
    const kling = client(sim, { now: clock.now });
    const created = await kling.create(T2V, 'ext-bare-1');
    clock.advance(50);
    const res = await fetch(`${sim.url}/v1/videos/text2video/${created.taskId}`, {
      headers: { authorization: `Bearer ${mintTestJwt(AK, SK, Math.floor(clock.now() / 1000))}` },
    });
    const raw: unknown = await res.json();
    const fromEnvelope = parseTaskBody(raw);
    const fromBare = parseTaskBody(z.object({ code: z.literal(0), data: z.unknown() }).parse(raw).data);
    expect(fromBare).toBeDefined();
    expect(fromBare).toEqual(fromEnvelope);
    expect(fromBare).toEqual(await kling.get('text2video', created.taskId));
    expect(fromBare?.status).toBe('succeed');
  });

  it('a gateway answer without an official body still maps its status and percentage', () => {
    expect(
      parseTaskBody({
        code: 'success',
        message: '',
        data: { task_id: 'gw-9', status: 'IN_PROGRESS', progress: '40%', data: null },
      }),
    ).toEqual({ taskId: 'gw-9', status: 'processing', progress: 40 });
    expect(
      parseTaskBody({ code: 'success', data: { task_id: 'gw-9', status: 'FAILURE', progress: '100%', data: {} } }),
    ).toMatchObject({ status: 'failed' });
    expect(parseTaskBody({ code: 0, data: { task_id: 'x', task_status: 'succeeded' } })).toBeUndefined(); // "succeeded" is not Kling's word
  });
});

describe('Kling client: every error class', () => {
  it('auth: wrong API key 1000, wrong secret 1002, clock ahead 1003, expired 1004', async () => {
    const gw = await startSim(cleanup, { auth: { apiKey: API_KEY } });
    const e1000 = await klingErrorOf(
      new KlingClient({ baseUrl: gw.url, auth: { type: 'bearer', apiKey: 'wrong-key-123456' }, retries: 0 }).get(
        'text2video',
        '1',
      ),
    );
    expectSafe(e1000, 'auth', [AK, SK, API_KEY, 'wrong-key-123456']);
    expect(e1000.details).toMatchObject({ httpStatus: 401, klingCode: 1000 });

    const sim = await startSim(cleanup);
    const e1002 = await klingErrorOf(
      client(sim, { auth: { type: 'jwt', accessKey: AK, secretKey: 'not-the-secret-xyz' } }).get('text2video', '1'),
    );
    expectSafe(e1002, 'auth', [AK, SK, 'not-the-secret-xyz']);
    expect(e1002.details.klingCode).toBe(1002);

    const ahead = await klingErrorOf(
      client(sim, { now: () => Date.now() + 600_000, retries: 1 }).get('text2video', '1'),
    );
    expectSafe(ahead, 'auth');
    expect(ahead.details.klingCode).toBe(1003);

    const behind = await klingErrorOf(client(sim, { now: () => Date.now() - 3_600_000 }).get('text2video', '1'));
    expectSafe(behind, 'auth');
    expect(behind.details.klingCode).toBe(1004);
  });

  it('account codes 1001, 1101, 1102, 1103 (official and gateway-wrapped) → auth, balance, permission', async () => {
    const cases: Array<{ status: number; code: number; kind: KlingErrorKind; gateway?: boolean }> = [
      { status: 401, code: 1001, kind: 'auth' },
      { status: 429, code: 1101, kind: 'balance' },
      { status: 429, code: 1102, kind: 'balance' },
      { status: 429, code: 1102, kind: 'balance', gateway: true },
      { status: 403, code: 1103, kind: 'permission' },
      { status: 403, code: 1103, kind: 'permission', gateway: true },
    ];
    for (const c of cases) {
      const official = { code: c.code, message: `provider says ${c.code}`, request_id: 'req-1' };
      const server = await startScriptedServer([
        { status: c.status, body: c.gateway ? { code: 'fail', message: official.message, data: official } : official },
      ]);
      cleanup.add(() => server.close());
      const err = await klingErrorOf(client(server, { retries: 2 }).create(T2V, 'ext-acct'));
      expectSafe(err, c.kind);
      expect(err.details).toMatchObject({ httpStatus: c.status, klingCode: c.code });
      expect(err.retryable).toBe(false);
      expect(server.requests).toHaveLength(1); // account trouble is not retried
    }
  });

  it('rate limit 1302 and concurrency 1303 are not retried by create (the tracker queues them)', async () => {
    const rated = await startSim(cleanup, { ratePerSecond: 1 });
    const kr = client(rated, { retries: 3 });
    await kr.create(T2V, 'ext-rate-1');
    const rate = await klingErrorOf(kr.create(T2V, 'ext-rate-2'));
    expectSafe(rate, 'rate_limit');
    expect(rate.details).toMatchObject({ httpStatus: 429, klingCode: 1302 });
    expect(rate.retryable).toBe(true);
    expect(rated.calls.filter((c) => c.op === 'create')).toHaveLength(2);

    const busy = await startSim(cleanup, { concurrency: { video: 1 } });
    const kb = client(busy, { retries: 3 });
    await kb.create(T2V, 'ext-conc-1');
    const conc = await klingErrorOf(kb.create(T2V, 'ext-conc-2'));
    expectSafe(conc, 'concurrency');
    expect(conc.details.klingCode).toBe(1303);
    expect(busy.createsFor('ext-conc-2')).toBe(0);
  });

  it('content policy 1301, invalid parameter 1201 with the provider message, not found', async () => {
    const sim = await startSim(cleanup);
    const kling = client(sim);
    const policy = await klingErrorOf(kling.create({ ...T2V, prompt: 'sim:reject this' }, 'ext-policy'));
    expectSafe(policy, 'content_policy');
    expect(policy.details.klingCode).toBe(1301);

    const invalid = await klingErrorOf(kling.create({ ...T2V, prompt: 'x'.repeat(2600) }, 'ext-invalid'));
    expectSafe(invalid, 'invalid_parameter');
    expect(invalid.details.klingCode).toBe(1201);
    expect(invalid.userMessage).toContain('Invalid value for field prompt');

    // (A data: prefix never reaches Kling: the client cuts it; see unit-capabilities "image_tail".)

    const missing = await klingErrorOf(kling.get('text2video', '999'));
    expectSafe(missing, 'not_found');
    expect(missing.details).toMatchObject({ httpStatus: 404, klingCode: 1203 });
    expect(sim.stats.creates).toBe(0);
  });

  it('server 5000, timeout, network reset and malformed bodies are classified (and retryable)', async () => {
    const sim = await startSim(cleanup);
    const kling = client(sim);
    const { taskId } = await kling.create(T2V, 'ext-faults');

    sim.faults.add({ kind: 'http500', times: 1, on: 'get' });
    const server = await klingErrorOf(kling.get('text2video', taskId));
    expectSafe(server, 'server');
    expect(server.details).toMatchObject({ httpStatus: 500, klingCode: 5000 });

    sim.faults.add({ kind: 'slow', times: 1, on: 'get', delayMs: 400 });
    const timeout = await klingErrorOf(client(sim, { timeoutMs: 100 }).get('text2video', taskId));
    expectSafe(timeout, 'timeout');

    sim.faults.add({ kind: 'reset', times: 1, on: 'get' });
    const network = await klingErrorOf(kling.get('text2video', taskId));
    expectSafe(network, 'network');

    sim.faults.add({ kind: 'malformed', times: 1, on: 'get' });
    expectSafe(await klingErrorOf(kling.get('text2video', taskId)), 'malformed');
    sim.faults.add({ kind: 'malformed', times: 1, on: 'get', variant: 'no-data' });
    expectSafe(await klingErrorOf(kling.get('text2video', taskId)), 'malformed');

    for (const e of [server, timeout, network]) expect(e.retryable).toBe(true);
    // After all that the task is still readable: nothing was left broken.
    expect((await kling.get('text2video', taskId)).taskId).toBe(taskId);
  });
});

describe('Kling client: retries', () => {
  it('GET retries 5xx with growing backoff and then succeeds', async () => {
    const sim = await startSim(cleanup);
    const kling = client(sim, { retries: 3, backoffBaseMs: 40 });
    const { taskId } = await kling.create(T2V, 'ext-retry');
    sim.faults.add({ kind: 'http500', times: 1, on: 'get' });
    sim.faults.add({ kind: 'http503', times: 1, on: 'get' });
    const errorsBefore = sim.stats.errors;
    const task = await kling.get('text2video', taskId);
    expect(task.taskId).toBe(taskId);
    const gets = sim.calls.filter((c) => c.op === 'get');
    expect(gets.map((c) => c.status)).toEqual([500, 503, 200]);
    expect(sim.stats.errors - errorsBefore).toBe(2);
    const [a, b, c] = gets.map((g) => g.at) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(20); // 40 ms × (0.5..1.5)
    expect(c - b).toBeGreaterThanOrEqual(40); // 80 ms × (0.5..1.5)
  });

  it('GET retries a 429 after the Retry-After the provider sent', async () => {
    const sim = await startSim(cleanup);
    const kling = client(sim, { retries: 2, backoffBaseMs: 5 });
    const { taskId } = await kling.create(T2V, 'ext-429');
    sim.faults.add({ kind: 'http429', times: 1, on: 'get' });
    await kling.get('text2video', taskId);
    const gets = sim.calls.filter((c) => c.op === 'get');
    expect(gets.map((c) => c.status)).toEqual([429, 200]);
    expect((gets[1]?.at ?? 0) - (gets[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the configured number of retries', async () => {
    const sim = await startSim(cleanup);
    const kling = client(sim, { retries: 2, backoffBaseMs: 2 });
    const { taskId } = await kling.create(T2V, 'ext-giveup');
    sim.faults.add({ kind: 'http500', times: 10, on: 'get' });
    expect((await klingErrorOf(kling.get('text2video', taskId))).kind).toBe('server');
    expect(sim.calls.filter((c) => c.op === 'get')).toHaveLength(3);
  });

  it.each([
    // Rejected before any work: no task was made.
    ['an HTTP 500', { kind: 'http500' as const, times: 1, on: 'create' as const }, 'server' as const, false],
    ['a dropped connection', { kind: 'reset' as const, times: 1, on: 'create' as const }, 'network' as const, false],
    // The task was made but the answer was lost.
    [
      'a truncated answer after the task was made',
      { kind: 'malformed' as const, times: 1, on: 'create' as const },
      'malformed' as const,
      true,
    ],
    [
      'a timeout after the task was made',
      { kind: 'slow' as const, times: 1, on: 'create' as const, delayMs: 300 },
      'timeout' as const,
      true,
    ],
  ])(
    'a create that meets %s is sent once, never again by the client; a task it made is found by external_task_id',
    async (_label, fault, kind, made) => {
      const sim = await startSim(cleanup);
      const kling = client(sim, { retries: 3, backoffBaseMs: 5, timeoutMs: 150 });
      sim.faults.add(fault);
      const ext = `ext-once-${fault.kind}`;
      expectSafe(await klingErrorOf(kling.create(T2V, ext)), kind);
      // The slow answer is still on its way at the simulator: wait until it has been recorded.
      await waitFor('the create to be recorded', () => sim.calls.some((c) => c.op === 'create'));
      expect(sim.calls.filter((c) => c.op === 'create')).toHaveLength(1);
      expect(sim.createsFor(ext)).toBe(made ? 1 : 0);
      if (made) expect((await kling.get('text2video', ext)).externalTaskId).toBe(ext);
      else expect((await klingErrorOf(kling.get('text2video', ext))).kind).toBe('not_found');
    },
  );
});

describe('Kling client: request bodies follow the API', () => {
  it('text2video: mode std|pro, duration as a string, cfg_scale 0 kept for v1, dropped for v2+', async () => {
    const sim = await startSim(cleanup);
    const kling = client(sim);
    await kling.create({ ...T2V, mode: 'pro', duration: '10', cfg_scale: 0, negative_prompt: 'blurry' }, 'ext-body-1');
    await kling.create({ ...T2V, model: 'kling-v2-master', cfg_scale: 0.7 }, 'ext-body-2');
    await kling.create({ ...T2V, model: 'kling-v2-1-master', cfg_scale: 0 }, 'ext-body-3');
    const [v1, v2, v21] = createBodies(sim);
    expect(v1).toMatchObject({
      model_name: 'kling-v1',
      mode: 'pro',
      duration: '10',
      cfg_scale: 0,
      aspect_ratio: '16:9',
      negative_prompt: 'blurry',
      external_task_id: 'ext-body-1',
    });
    expect(typeof v1?.['duration']).toBe('string');
    expect(v2).not.toHaveProperty('cfg_scale');
    expect(v21).not.toHaveProperty('cfg_scale');
    expect(v1?.['mode']).toBe('pro');
    // The master models have no mode choice (capability table): no mode is sent for them.
    expect(v2).not.toHaveProperty('mode');
    expect(v21).not.toHaveProperty('mode');
    expect(sim.stats.creates).toBe(3); // the strict simulator accepted every body
  });

  it('image2video: no aspect_ratio, its own create and poll path', async () => {
    const sim = await startSim(cleanup);
    const kling = client(sim);
    const req: GenerationRequest = {
      kind: 'image2video',
      image: 'https://example.com/cat.png',
      model: 'kling-v1-6',
      mode: 'std',
      duration: '5',
      cfg_scale: 0.3,
    };
    const created = await kling.create(req, 'ext-i2v');
    await kling.get('image2video', created.taskId);
    const [body] = createBodies(sim);
    expect(body).toMatchObject({ image: 'https://example.com/cat.png', cfg_scale: 0.3, mode: 'std', duration: '5' });
    expect(body).not.toHaveProperty('aspect_ratio');
    expect(body).not.toHaveProperty('prompt');
    expect(sim.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /v1/videos/image2video',
      `GET /v1/videos/image2video/${created.taskId}`,
    ]);
    // The text2video path does not know it (the reference MCP server's mistake).
    expect((await klingErrorOf(kling.get('text2video', created.taskId))).kind).toBe('not_found');
  });

  it('image: /v1/images/generations with n and aspect ratio, result images parsed', async () => {
    const clock = manualClock();
    const sim = await startSim(cleanup, { now: clock.now });
    const kling = client(sim, { now: clock.now });
    const created = await kling.create(
      { kind: 'image', prompt: 'a lighthouse', model: 'kling-v2', aspect_ratio: '3:2', n: 3 },
      'ext-img',
    );
    clock.advance(10_000);
    const done = await kling.get('image', created.taskId);
    const [body] = createBodies(sim);
    expect(body).toMatchObject({ prompt: 'a lighthouse', n: 3, aspect_ratio: '3:2', model_name: 'kling-v2' });
    expect(body).not.toHaveProperty('mode');
    expect(sim.calls.map((c) => c.path)).toEqual([
      '/v1/images/generations',
      `/v1/images/generations/${created.taskId}`,
    ]);
    expect(done.result?.images.map((i) => i.url)).toEqual(
      [0, 1, 2].map((i) => `${sim.origin}/media/${created.taskId}-${i}.png`),
    );
  });
});

describe('KlingClient: what it reads', () => {
  it('never follows a redirect (the Authorization header stays with Kling) and refuses an oversized body', async () => {
    const redirect = await startScriptedServer([{ status: 302, body: {}, headers: { location: '/elsewhere' } }]);
    cleanup.add(() => redirect.close());
    const err = await klingErrorOf(client(redirect).get('text2video', 'abc'));
    expect(err).toBeInstanceOf(KlingError);
    expect(redirect.requests.map((r) => r.path)).not.toContain('/elsewhere');
    expect(redirect.requests).toHaveLength(1);

    const huge = await startScriptedServer([{ status: 200, body: { code: 0, data: 'x'.repeat(9 * 1024 * 1024) } }]);
    cleanup.add(() => huge.close());
    const tooBig = await klingErrorOf(client(huge).get('text2video', 'abc'));
    expect(tooBig.kind).toBe('network');
  });
});
