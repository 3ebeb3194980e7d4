import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpServer } from '../src/http.js';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { Cleanup, expectOneCreateEach, makeCore, makeInv, makeIo, startSim, waitAllFinal, waitFor, type CoreRig } from './helpers/core-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Bot extends CoreRig {
  base: string;
  http: HttpServer;
}

/** A core whose PUBLIC_URL is its own HTTP server, as in production. */
async function botWithHttp(sim: KlingSimulator, env: Record<string, string> = {}): Promise<Bot> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const rig = await makeCore(cleanup, sim, { PUBLIC_URL: base, ...env });
  const http = new HttpServer(rig.core);
  await http.listen(port, '127.0.0.1');
  cleanup.add(() => http.close());
  return { ...rig, base, http };
}

async function submit(bot: Bot, prompt = 'a fox'): Promise<string> {
  const inv = makeInv();
  return (await bot.core.services.tasks.submit(inv, makeIo(bot.port, inv), { kind: 'text2video', prompt, model: 'kling-v1', mode: 'std', duration: '5', aspect_ratio: '16:9' })).id;
}

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('Kling callbacks are hints', () => {
  it('with PUBLIC_URL set, creates carry the callback URL and callbacks (not slow polling) finish the card', async () => {
    const sim = await startSim(cleanup, { timing: { submittedMs: 100, processingMs: 300, jitter: 0 } });
    // Polling alone would next look after ~4 × 1.5 s: only callbacks can finish this quickly.
    const bot = await botWithHttp(sim, { POLL_INTERVAL_MS: '1500' });
    const started = Date.now();
    const id = await submit(bot);
    await waitAllFinal(bot, [id], 3000);
    expect(Date.now() - started).toBeLessThan(2500);
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
    const unknown = await post(`${bot.base}/kling/callback/${bot.core.callbackToken}`, task);
    expect([unknown.status, await unknown.text()]).toEqual([200, 'ignored']);
    expect(sim.stats.gets).toBe(0);
  });

  it('a callback that lies is not believed: the task is re-fetched and the card shows what Kling says', async () => {
    const sim = await startSim(cleanup, { timing: { submittedMs: 50, processingMs: 5000, jitter: 0 } });
    const bot = await botWithHttp(sim, { POLL_INTERVAL_MS: '1500' });
    const id = await submit(bot);
    const klingId = await waitFor('the Kling id', async () => (await bot.core.store.get(id))?.klingTaskId);
    const url = `${bot.base}/kling/callback/${bot.core.callbackToken}`;

    const lies: unknown[] = [
      // A false "succeed" with someone else's video, as a bare task and as an envelope.
      { task_id: klingId, task_status: 'succeed', task_status_msg: '', task_result: { videos: [{ id: 'x', url: 'https://evil.example/x.mp4', duration: '5' }] }, final_unit_deduction: '0' },
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
    await new Promise((r) => setTimeout(r, 100));
    const rec = await bot.core.store.get(id);
    expect(rec?.state).toBe('processing');
    expect(rec?.result).toBeUndefined();
    for (const view of bot.port.viewsFor(id)) {
      expect(view.state).not.toMatch(/succeed|failed/);
      expect(JSON.stringify(view)).not.toContain('evil.example');
    }
    expectOneCreateEach(sim, [id]);
  });
});

describe('HTTP server', () => {
  it('/healthz is 200 (503 once stopping), /metrics counts provider calls, anything else is 404', async () => {
    const sim = await startSim(cleanup);
    const bot = await botWithHttp(sim);
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
    for (const path of ['/', '/nope', '/healthz/extra', '/slack/events']) expect((await fetch(`${bot.base}${path}`)).status, path).toBe(404);
    bot.http.stopAccepting();
    expect((await fetch(`${bot.base}/healthz`)).status).toBe(503);
  });
});
