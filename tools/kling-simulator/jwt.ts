import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

function b64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

/** Mint an official-style JWT (used by tests to call the simulator directly). */
export function mintTestJwt(accessKey: string, secretKey: string, nowSec?: number, ttlSec = 1800): string {
  const now = nowSec ?? Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  // nbf 5 s in the past, as Kling's own sample code does, to absorb small clock skew.
  const payload = b64url(JSON.stringify({ iss: accessKey, exp: now + ttlSec, nbf: now - 5 }));
  const sig = createHmac('sha256', secretKey).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${sig}`;
}

const jwtHeaderSchema = z.object({ alg: z.literal('HS256') });
const jwtPayloadSchema = z.object({ iss: z.string(), exp: z.number(), nbf: z.number().optional() });

function decodeJsonSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Returns undefined when valid, else the Kling auth error code. */
export function verifyJwt(
  token: string,
  accessKey: string,
  secretKey: string,
  nowMs: number,
): 1002 | 1003 | 1004 | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return 1002;
  const [h, p, s] = parts as [string, string, string];
  if (!jwtHeaderSchema.safeParse(decodeJsonSegment(h)).success) return 1002;
  const expected = Buffer.from(createHmac('sha256', secretKey).update(`${h}.${p}`).digest('base64url'));
  const given = Buffer.from(s);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 1002;
  const payload = jwtPayloadSchema.safeParse(decodeJsonSegment(p));
  if (!payload.success || payload.data.iss !== accessKey) return 1002;
  const nowSec = nowMs / 1000;
  // No skew tolerance on purpose: a client that forgets to backdate nbf must fail here.
  if (payload.data.nbf !== undefined && payload.data.nbf > nowSec) return 1003;
  if (payload.data.exp <= nowSec) return 1004;
  return undefined;
}
