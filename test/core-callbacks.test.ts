import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpServer, type HttpLimits } from '../src/http.js';
import { metricsAccess, metricsAllowed } from '../src/http-guards.js';
import { flakyStore } from './helpers/flaky-store.js';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import {
  Cleanup,
  expectOneCreateEach,
  makeCore,
  makeInv,
  makeIo,
  startSim,
  waitAllFinal,
  waitFor,
} from './helpers/core-harness.js';
import { botWithHttp as botWith, type Bot } from './helpers/core-http.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const botWithHttp = (sim: KlingSimulator, env: Record<string, string> = {}, limits: Partial<HttpLimits> = {}) =>
  botWith(cleanup, sim, env, limits);
/** So slow that polling never looks within a test (4 × 10 min with callbacks): only a callback can move a card. */
const NO_POLLING = { POLL_INTERVAL_MS: '600000' };

async function submit(bot: Bot, prompt = 'a fox'): Promise<string> {
  const inv = makeInv();
  return (
    await bot.core.services.tasks.submit(inv, makeIo(bot.port, inv), {
      kind: 'text2video',
      prompt,
      model: 'kling-v1',
      mode: 'std',
      duration: '5',
      aspect_ratio: '16:9',
    })
  ).id;
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('Kling callbacks are hints', () => {
  it('with PUBLIC_URL set, creates carry the callback URL and callbacks (not slow polling) finish the card', async () => {
    const sim = await startSim(cleanup, { timing: { submittedMs: 100, processingMs: 300, jitter: 0 } });
    // Polling would next look 40 minutes after the create: only callbacks can finish the card in this test.
    const bot = await botWithHttp(sim, NO_POLLING);
    const id = await submit(bot);
    await waitAllFinal(bot, [id], 15_000);
    const body = z.object({ callback_url: z.string() }).parse(sim.calls.find((c) => c.op === 'create')?.body);
    expect(body.callback_url).toBe(`${bot.base}/kling/callback/${bot.core.callbackToken}`);
    expect(bot.core.callbackToken).toMatch(/^[\w-]{32}$/);
    expect(sim.stats.callbacksSent).toBeGreaterThanOrEqual(2);
    // Each hint was checked with a GET before the card believed it.
    expect(sim.stats.gets).toBeGreaterThanOrEqual(1);
    expect(sim.stats.gets).toBeLessThanOrEqual(sim.stats.callbacksSent + 1);
    const rec = await bot.core.store.get(id);
    expect(bot.port.lastView(id)?.media[0]?.url).toBe(`${sim.origin}/media/${rec?.klingTaskId}.mp4`);
    expectOneCreateEach(sim, [id]);
  });

  it('a wrong token is 404, a GET is 404, an unreadable body is 400', async () => {
    const sim = await startSim(cleanup);
    const bot = await botWithHttp(sim);
    const task = { task_id: '123', task_status: 'succeed' };
    expect((await post(`${bot.base}/kling/callback/not-the-token`, task)).status).toBe(404);
    expect((await post(`${bot.base}/kling/callback/`, task)).status).toBe(404);
    expect((await fetch(`${bot.base}/kling/callback/${bot.core.callbackToken}`)).status).toBe(404);
    expect((await post(`${bot.base}/kling/callback/${bot.core.callbackToken}`, '{"task_id": ')).status).toBe(400);
    expect((await post(`${bot.base}/kling/callback/${bot.core.callbackToken}`, { hello: 'world' })).status).toBe(400);
    // Unknown and known tasks get the same answer: the endpoint is no oracle for task ids.
    const unknown = await post(`${bot.base}/kling/callback/${bot.core.callbackToken}`, task);
    expect([unknown.status, await unknown.text()]).toEqual([200, 'ok']);
    expect(sim.stats.gets).toBe(0);
    const id = await submit(bot);
    const klingId = await waitFor('the Kling id', async () => (await bot.core.store.get(id))?.klingTaskId);
    const known = await post(`${bot.base}/kling/callback/${bot.core.callbackToken}`, {
      task_id: klingId,
      task_status: 'processing',
    });
    expect([known.status, await known.text()]).toEqual([200, 'ok']);
  });

  it('GIVEN a flood of valid callbacks for one task THEN Kling is asked about it twice, not once per callback', async () => {
    const sim = await startSim(cleanup, { timing: { submittedMs: 50, processingMs: 60_000, jitter: 0 } });
    // No polling in the test, and a window the whole flood falls in however slow this machine is.
    const WINDOW_MS = 3000;
    const bot = await botWithHttp(sim, NO_POLLING, { hintWindowMs: WINDOW_MS });
    const id = await submit(bot);
    const klingId = await waitFor('the Kling id', async () => (await bot.core.store.get(id))?.klingTaskId);
    const url = `${bot.base}/kling/callback/${bot.core.callbackToken}`;
    const before = sim.stats.gets;
    const floodAt = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        post(url, { task_id: klingId, task_status: 'processing' }).then((r) => r.status),
      ),
    );
    expect(answers.every((s) => s === 200)).toBe(true);
    expect(Date.now() - floodAt, 'the flood outlasted the window').toBeLessThan(WINDOW_MS);
    // The first hint is re-fetched at once, the rest of the flood as one trailing re-fetch at the window's end.
    await waitFor('the trailing re-fetch', () => sim.stats.gets >= before + 2, WINDOW_MS + 10_000);
    // Nothing else is due (no window is open, polling is minutes away): two GETs for forty callbacks.
    expect(sim.stats.gets - before).toBe(2);
    expect(Date.now() - floodAt).toBeGreaterThanOrEqual(WINDOW_MS - 5);
  });

  it('GIVEN CALLBACK_TOKEN THEN the callback URL carries it and the derived token no longer works', async () => {
    const sim = await startSim(cleanup);
    const derived = (await botWithHttp(sim)).core.callbackToken;
    const bot = await botWithHttp(sim, { CALLBACK_TOKEN: 'rotated-callback-token-0042' });
    expect(bot.core.callbackToken).toBe('rotated-callback-token-0042');
    await submit(bot);
    const create = await waitFor('the create at Kling', () => sim.calls.filter((c) => c.op === 'create').at(-1));
    expect(z.object({ callback_url: z.string() }).parse(create?.body).callback_url).toBe(
      `${bot.base}/kling/callback/rotated-callback-token-0042`,
    );
    expect((await post(`${bot.base}/kling/callback/${derived}`, { task_id: '1' })).status).toBe(404);
    expect((await post(`${bot.base}/kling/callback/rotated-callback-token-0042`, { task_id: '1' })).status).toBe(200);
  });

  it('a callback that lies is not believed: the task is re-fetched and the card shows what Kling says', async () => {
    // Kling keeps processing however long the test takes (until its clock jumps); only the lies could move the card.
    let skew = 0;
    const sim = await startSim(cleanup, {
      timing: { submittedMs: 50, processingMs: 600_000, jitter: 0 },
      now: () => Date.now() + skew,
    });
    const bot = await botWithHttp(sim, NO_POLLING);
    const id = await submit(bot);
    const klingId = await waitFor('the Kling id', async () => (await bot.core.store.get(id))?.klingTaskId);
    const url = `${bot.base}/kling/callback/${bot.core.callbackToken}`;

    const lies: unknown[] = [
      // A false "succeed" with someone else's video, as a bare task and as an envelope.
      {
        task_id: klingId,
        task_status: 'succeed',
        task_status_msg: '',
        task_result: { videos: [{ id: 'x', url: 'https://evil.example/x.mp4', duration: '5' }] },
        final_unit_deduction: '0',
      },
      { code: 0, message: 'SUCCEED', data: { task_id: klingId, task_status: 'failed', task_status_msg: 'made up' } },
      // A status Kling never sends.
      { task_id: klingId, task_status: 'hacked' },
    ];
    for (const lie of lies) {
      const before = sim.stats.gets;
      const res = await post(url, lie);
      expect(res.status).toBe(200);
      await waitFor('a re-fetch of the task', () => sim.stats.gets > before, 2000);
    }
    // The truth last: Kling finishes, a callback says so, and the card ends on Kling's own video. Whatever
    // the lies had set going came before it, so the card's whole history shows what they did.
    skew = 600_000;
    expect((await post(url, { task_id: klingId, task_status: 'succeed' })).status).toBe(200);
    await waitFor('the card final', () => bot.port.lastView(id)?.state === 'succeed', 5000);
    const rec = await bot.core.store.get(id);
    expect(rec?.result?.videos[0]?.url).toBe(`${sim.origin}/media/${klingId}.mp4`);
    const views = bot.port.viewsFor(id);
    expect(views.filter((v) => /succeed|failed/.test(v.state)).map((v) => v.state)).toEqual(['succeed']);
    for (const view of views) expect(JSON.stringify(view)).not.toContain('evil.example');
    expectOneCreateEach(sim, [id]);
  });
});

describe('HTTP server', () => {
  it('/healthz is 200 (503 once stopping), /metrics counts provider calls, anything else is 404', async () => {
    const sim = await startSim(cleanup);
    // Not reachable from outside (no PUBLIC_URL, no Slack over HTTP): loopback is trusted for /metrics.
    const bot = await botWithHttp(sim, { PUBLIC_URL: '' });
    expect(await bot.core.kling.get('text2video', 'no-such-task').catch(() => 'not found')).toBe('not found');
    const health = await fetch(`${bot.base}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok']);
    const metrics = await fetch(`${bot.base}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain('# TYPE klingbot_provider_calls_total counter');
    expect(text).toMatch(/^klingbot_provider_calls_total\{op="get",outcome="not_found"\} 1$/m);
    expect(text).toContain('# TYPE klingbot_tasks_in_flight gauge');
    expect(text).toMatch(/^klingbot_queue_length 0$/m);
    for (const path of ['/', '/nope', '/healthz/extra', '/slack/events'])
      expect((await fetch(`${bot.base}${path}`)).status, path).toBe(404);
    bot.http.stopAccepting();
    expect((await fetch(`${bot.base}/healthz`)).status).toBe(503);
  });

  it('GIVEN METRICS_TOKEN THEN /metrics needs it as a Bearer token; without one, only loopback callers get in', async () => {
    const sim = await startSim(cleanup);
    const bot = await botWithHttp(sim, { METRICS_TOKEN: 'metrics-token-for-tests-1' });
    const get = (authorization?: string) =>
      fetch(`${bot.base}/metrics`, authorization ? { headers: { authorization } } : {});
    expect((await get()).status).toBe(401);
    expect((await get('Bearer wrong-token')).status).toBe(401);
    expect((await get('Basic metrics-token-for-tests-1')).status).toBe(401);
    const ok = await get('Bearer metrics-token-for-tests-1');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('klingbot_provider_calls_total');
    expect(metricsAllowed('127.0.0.1', undefined, undefined)).toBe(true);
    expect(metricsAllowed('::ffff:127.0.0.1', undefined, undefined)).toBe(true);
    expect(metricsAllowed('172.18.0.1', undefined, undefined)).toBe(false);
    expect(metricsAllowed('10.0.0.7', 'Bearer anything', undefined)).toBe(false);
    expect(metricsAllowed('127.0.0.1', undefined, 'tok-123456')).toBe(false);
  });

  it('GIVEN PUBLIC_URL and no METRICS_TOKEN THEN /metrics is 404 even from loopback (a proxy or tunnel connects from there)', async () => {
    const sim = await startSim(cleanup);
    const bot = await botWithHttp(sim, { PUBLIC_URL: 'https://bot.example.com' });
    const res = await fetch(`${bot.base}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('klingbot_');
    // With a token it works again, for the token only.
    const withToken = await botWithHttp(sim, {
      PUBLIC_URL: 'https://bot.example.com',
      METRICS_TOKEN: 'metrics-token-2',
    });
    expect((await fetch(`${withToken.base}/metrics`)).status).toBe(401);
    const ok = await fetch(`${withToken.base}/metrics`, { headers: { authorization: 'Bearer metrics-token-2' } });
    expect(ok.status).toBe(200);
    expect(metricsAccess('127.0.0.1', undefined, undefined, true)).toBe('hidden');
    expect(metricsAccess('127.0.0.1', undefined, undefined, false)).toBe('allowed');
  });

  it('GIVEN the store is down THEN /healthz says 503', async () => {
    const sim = await startSim(cleanup);
    const { storage, map } = flakyStore();
    const rig = await makeCore(cleanup, sim, {}, undefined, { storage });
    const http = new HttpServer(rig.core);
    const port = await http.listen(0, '127.0.0.1');
    cleanup.add(() => http.close());
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    map.faults.read = () => true;
    const down = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect([down.status, await down.text()]).toEqual([503, 'store unavailable']);
  });

  it('GIVEN a client that sends its headers too slowly, or opens too many connections THEN the server cuts it off', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    const http = new HttpServer(rig.core, {
      headersTimeoutMs: 300,
      requestTimeoutMs: 300,
      checkIntervalMs: 50,
      maxConnections: 2,
    });
    const port = await http.listen(0, '127.0.0.1');
    cleanup.add(() => http.close());
    const slow = connect(port, '127.0.0.1');
    slow.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    let answer = '';
    slow.on('data', (c: Buffer) => (answer += c.toString()));
    await waitFor(
      'the slow client to be cut off',
      () => slow.destroyed || slow.readableEnded || answer.includes('408'),
      3000,
    );
    slow.destroy();
    // Two idle sockets fill the cap: a third is closed at once.
    const held = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')];
    await Promise.all(held.map((s) => new Promise((r) => s.once('connect', r))));
    const extra = connect(port, '127.0.0.1');
    await waitFor(
      'the connection over the cap to close',
      () => extra.destroyed || extra.readableEnded || extra.closed,
      3000,
    );
    for (const s of [...held, extra]) s.destroy();
  });
});
