/**
 * Finding 8: with Slack over HTTP the bot sits behind a reverse proxy or tunnel that connects from
 * loopback, so /metrics must not trust loopback: without METRICS_TOKEN it is 404.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSlackRig } from './helpers/slack-harness.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

describe('/metrics with Slack over HTTP', () => {
  it('no METRICS_TOKEN: 404 to a loopback request; /healthz still answers', async () => {
    const { bot } = await startSlackRig([{ id: 'T0M', channels: ['C0M'] }], {}, (close) => cleanups.push(close));
    const res = await fetch(`http://127.0.0.1:${bot.port}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('klingbot_');
    expect((await fetch(`http://127.0.0.1:${bot.port}/healthz`)).status).toBe(200);
  });
});
