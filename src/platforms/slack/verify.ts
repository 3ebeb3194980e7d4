import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log.js';

/**
 * The door in front of Bolt's HTTP receiver (unsigned or replayed requests get 401 and do nothing:
 * https://api.slack.com/authentication/verifying-requests-from-slack). Bolt checks the signature and refuses old timestamps, but it lets a timestamp from
 * the future through, keeps no memory of signatures it has seen (a captured request could be
 * sent again within 5 minutes and pay for a second task), and buffers up to 10 MB first.
 */

/** A slash command or a button click is a few KiB; nothing legitimate comes near this. */
export const MAX_SLACK_BODY_BYTES = 64 * 1024;
/** Slack's window, both ways: a timestamp this far ahead is as wrong as one this far behind. */
export const SLACK_WINDOW_SEC = 300;

export interface SlackVerifierOptions {
  signingSecret: string;
  /** True the first time a key is seen within ttlMs (the shared store, so replicas agree). */
  firstSighting: (key: string, ttlMs: number) => Promise<boolean>;
  log: Logger;
  now?: () => number;
  maxBodyBytes?: number;
}

type Verdict = { ok: true; body: Buffer } | { ok: false; status: 200 | 401 | 413 | 503; reason: string };

/** Reads the body, stopping (and answering 413) as soon as it passes `limit`: never more is buffered. */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (value: Buffer | 'too_large' | 'aborted') => {
      if (done) return;
      done = true;
      resolve(value);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => finish(Buffer.concat(chunks)));
    req.on('error', () => finish('aborted'));
    req.on('close', () => finish('aborted'));
  });
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

function signatureMatches(secret: string, timestamp: string, body: Buffer, given: string): boolean {
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`,
  );
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export class SlackRequestVerifier {
  private readonly now: () => number;
  private readonly maxBodyBytes: number;

  constructor(private readonly o: SlackVerifierOptions) {
    this.now = o.now ?? Date.now;
    this.maxBodyBytes = o.maxBodyBytes ?? MAX_SLACK_BODY_BYTES;
  }

  async verify(req: IncomingMessage): Promise<Verdict> {
    const declared = Number(header(req, 'content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > this.maxBodyBytes)
      return { ok: false, status: 413, reason: 'body too large' };
    const body = await readLimited(req, this.maxBodyBytes);
    if (body === 'too_large') return { ok: false, status: 413, reason: 'body too large' };
    if (body === 'aborted') return { ok: false, status: 401, reason: 'request aborted' };
    // Slack's SSL check may come unsigned; it is answered 200 by the caller and never reaches Bolt.
    if (/^ssl_check=1(&|$)/.test(body.toString('latin1'))) return { ok: false, status: 200, reason: 'ssl check' };
    const timestamp = header(req, 'x-slack-request-timestamp');
    const signature = header(req, 'x-slack-signature');
    if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature)
      return { ok: false, status: 401, reason: 'unsigned' };
    if (Math.abs(this.now() / 1000 - Number(timestamp)) > SLACK_WINDOW_SEC)
      return { ok: false, status: 401, reason: 'timestamp outside the 5-minute window' };
    if (!signatureMatches(this.o.signingSecret, timestamp, body, signature))
      return { ok: false, status: 401, reason: 'bad signature' };
    // Signed and fresh: now make sure it is the first time. The window check above bounds how long a signature must be
    // remembered.
    let first: boolean;
    try {
      first = await this.o.firstSighting(`slack:${signature}`, 2 * SLACK_WINDOW_SEC * 1000);
    } catch (err) {
      this.o.log.error({ err }, 'slack replay check failed: store unavailable');
      return { ok: false, status: 503, reason: 'store unavailable' };
    }
    if (!first) return { ok: false, status: 401, reason: 'replayed' };
    return { ok: true, body };
  }

  /** Verifies, then hands the request (its body already read) to `next`, or answers itself. */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    next: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<void> {
    const verdict = await this.verify(req);
    if (!verdict.ok) {
      if (verdict.status !== 200)
        this.o.log.warn({ status: verdict.status, reason: verdict.reason }, 'slack request refused');
      res.writeHead(verdict.status, verdict.status === 413 ? { Connection: 'close' } : {}).end();
      if (verdict.status === 413) req.destroy();
      return;
    }
    // Bolt reads `rawBody` when it is already there instead of the (consumed) stream.
    Object.assign(req, { rawBody: verdict.body });
    next(req, res);
  }
}
