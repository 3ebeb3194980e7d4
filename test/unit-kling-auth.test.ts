import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KlingAuthProvider, mintKlingJwt } from '../src/kling/auth.js';
import { KlingClient } from '../src/kling/client.js';
import { AK, Cleanup, SK, startSim } from './helpers/core-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const Header = z.object({ alg: z.string(), typ: z.string() });
const Claims = z.object({ iss: z.string(), exp: z.number(), nbf: z.number() });

function decode(token: string) {
  const [h = '', p = '', s = ''] = token.split('.');
  return {
    header: Header.parse(JSON.parse(Buffer.from(h, 'base64url').toString('utf8'))),
    claims: Claims.parse(JSON.parse(Buffer.from(p, 'base64url').toString('utf8'))),
    signed: `${h}.${p}`,
    signature: s,
  };
}

const bearer = (header: string) => header.replace(/^Bearer /, '');

describe('Kling JWT', () => {
  it('carries iss = access key, exp = now + 1800, nbf = now − 5, HS256 verifiable with the secret', () => {
    const nowS = 1_800_000_123;
    const jwt = decode(mintKlingJwt(AK, SK, nowS));
    expect(jwt.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(jwt.claims).toEqual({ iss: AK, exp: nowS + 1800, nbf: nowS - 5 });
    expect(jwt.signature).toBe(createHmac('sha256', SK).update(jwt.signed).digest('base64url'));
    expect(jwt.signature).not.toBe(createHmac('sha256', 'another-secret').update(jwt.signed).digest('base64url'));
  });

  it('is cached, and renewed before it expires (26 minutes later a new one)', () => {
    let now = 1_800_000_000_000;
    const auth = new KlingAuthProvider({ type: 'jwt', accessKey: AK, secretKey: SK }, () => now);
    const first = auth.header();
    expect(first).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    now += 60_000;
    expect(auth.header()).toBe(first);
    now += 20 * 60_000; // 21 minutes in: still the same token
    expect(auth.header()).toBe(first);
    now += 5 * 60_000; // 26 minutes in: renewed, well before the 30-minute expiry
    const second = auth.header();
    expect(second).not.toBe(first);
    const claims = decode(bearer(second)).claims;
    expect(claims.exp).toBe(Math.floor(now / 1000) + 1800);
    expect(claims.nbf).toBe(Math.floor(now / 1000) - 5);
    expect(decode(bearer(first)).claims.exp).toBeGreaterThan(Math.floor(now / 1000)); // the old one had not expired yet
  });

  it('invalidate() forces a fresh token; a gateway key is sent as is', () => {
    let now = 1_800_000_000_000;
    const auth = new KlingAuthProvider({ type: 'jwt', accessKey: AK, secretKey: SK }, () => now);
    const first = auth.header();
    now += 2000;
    auth.invalidate();
    expect(auth.header()).not.toBe(first);
    expect(new KlingAuthProvider({ type: 'bearer', apiKey: 'gw-key-123' }).header()).toBe('Bearer gw-key-123');
  });

  it('the client re-signs on every call after 26 minutes, and the simulator accepts each token', async () => {
    let clientNow = Date.now();
    let simNow = clientNow;
    const sim = await startSim(cleanup, { now: () => simNow });
    const kling = new KlingClient({
      baseUrl: sim.url,
      auth: { type: 'jwt', accessKey: AK, secretKey: SK },
      retries: 0,
      now: () => clientNow,
    });
    const { taskId } = await kling.create(
      { kind: 'text2video', prompt: 'a fox', model: 'kling-v1', mode: 'std', duration: '5', aspect_ratio: '16:9' },
      'ext-jwt-1',
    );
    await kling.get('text2video', taskId);
    clientNow += 26 * 60_000;
    simNow = clientNow;
    await kling.get('text2video', taskId);
    const tokens = sim.calls.map((c) => c.authorization);
    expect(sim.calls.map((c) => c.status)).toEqual([200, 200, 200]);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[1]);
  });

  it('a 1004 (expired) answer drops the cached token and the retry with a new one succeeds', async () => {
    const t0 = Date.now();
    let clientNow = t0;
    let simNow = t0;
    const sim = await startSim(cleanup, { now: () => simNow });
    const kling = new KlingClient({
      baseUrl: sim.url,
      auth: { type: 'jwt', accessKey: AK, secretKey: SK },
      retries: 1,
      backoffBaseMs: 5,
      now: () => clientNow,
    });
    const { taskId } = await kling.create(
      { kind: 'text2video', prompt: 'a fox', model: 'kling-v1', mode: 'std', duration: '5', aspect_ratio: '16:9' },
      'ext-jwt-2',
    );
    // Our clock says 23 min 20 s (token still cached); Kling's says 30 min 1 s: the cached token is expired there.
    clientNow = t0 + 1400_000;
    simNow = t0 + 1801_000;
    const task = await kling.get('text2video', taskId);
    expect(task.taskId).toBe(taskId);
    const gets = sim.calls.filter((c) => c.op === 'get');
    expect(gets.map((c) => c.status)).toEqual([401, 200]);
    expect(gets[0]?.authorization).toBe(sim.calls[0]?.authorization); // the cached one was tried first
    expect(gets[1]?.authorization).not.toBe(gets[0]?.authorization);
    expect(decode(bearer(gets[1]?.authorization ?? '')).claims.exp).toBe(Math.floor(clientNow / 1000) + 1800);
  });
});
