import { Agent, request } from 'undici';
import { messageOf } from '../error-fields.js';
import { moved } from './reclaim.js';
import { ResultStream } from './result-stream.js';

/** How a result's download ended. Never a partial file: a download that does not end whole is not used. */
export type Download =
  | { kind: 'ok'; bytes: Buffer; contentType: string }
  /** Length known and within the cap; the body not read yet (see ResultStream). */
  | { kind: 'stream'; stream: ResultStream; contentType: string }
  | { kind: 'too_large'; bytes?: number }
  | { kind: 'gone'; status: number }
  | { kind: 'failed'; reason: string };

/** What bounds one download: the platform's cap, and two clocks so a stalled transfer is abandoned. */
export interface DownloadLimits {
  maxBytes: number;
  /** The whole transfer. */
  totalMs: number;
  /** Between two chunks (and for the headers). */
  idleMs: number;
}

export const DEFAULT_DOWNLOAD_LIMITS: Omit<DownloadLimits, 'maxBytes'> = { totalMs: 120_000, idleMs: 15_000 };

/** Only http(s): Kling's result links are https; anything else in a record is not fetched. */
export const isFetchable = (url: string) => {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
};

/**
 * Our own dispatcher, not the global one: Node's built-in fetch (Node 22+) installs its newer undici
 * as the process-wide dispatcher, and that version refuses a per-request `maxRedirections`.
 * A result link may redirect to a CDN, so up to 3 hops are followed.
 */
const downloads = new Agent({ maxRedirections: 3 });

/**
 * Fetches one result into memory (never to disk), within `maxBytes`: refused before the first body
 * byte when Kling's Content-Length says it is over, and cut off while streaming if the body runs
 * past it (or past its own Content-Length). A stalled or slow transfer is abandoned at its limits.
 * `stream`: a body of announced length is handed over unread, for an upload that streams it.
 */
export async function download(
  url: string,
  limits: DownloadLimits,
  opts: { stream?: boolean } = {},
): Promise<Download> {
  if (!isFetchable(url)) return { kind: 'failed', reason: 'not an http(s) link' };
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('download took too long')), limits.totalMs);
  try {
    const res = await request(url, {
      method: 'GET',
      signal: abort.signal,
      headersTimeout: limits.idleMs,
      bodyTimeout: limits.idleMs,
      dispatcher: downloads,
    });
    // A body given up on (too large, stalled) may still report its end as an error: nobody waits for it.
    res.body.on('error', () => undefined);
    if (res.statusCode === 404 || res.statusCode === 410) {
      await res.body.dump().catch(() => undefined);
      return { kind: 'gone', status: res.statusCode };
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.body.dump().catch(() => undefined);
      return { kind: 'failed', reason: `HTTP ${res.statusCode}` };
    }
    const declared = Number(res.headers['content-length']);
    const length = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
    if (length !== undefined && length > limits.maxBytes) {
      res.body.destroy();
      return { kind: 'too_large', bytes: length };
    }
    const type = res.headers['content-type'];
    const contentType = typeof type === 'string' ? type : '';
    // The reader's clocks take over from here (this one is cleared below).
    if (opts.stream && length !== undefined) {
      const again = async () => {
        const next = await download(url, limits, opts);
        return next.kind === 'stream' ? next.stream : undefined;
      };
      return { kind: 'stream', stream: new ResultStream(res.body, length, limits, again), contentType };
    }
    // With a length the file goes straight into one buffer of its size (no second copy at the end).
    const whole = length !== undefined ? Buffer.allocUnsafe(length) : undefined;
    const chunks: Buffer[] = [];
    let got = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      if (got + buf.length > limits.maxBytes || (length !== undefined && got + buf.length > length)) {
        res.body.destroy();
        return got + buf.length > limits.maxBytes
          ? { kind: 'too_large', ...(length !== undefined ? { bytes: length } : {}) }
          : { kind: 'failed', reason: `more bytes than the ${length} announced` };
      }
      if (whole) buf.copy(whole, got);
      else chunks.push(buf);
      got += buf.length;
      moved(buf.length);
    }
    if (length !== undefined && got !== length) return { kind: 'failed', reason: `got ${got} of ${length} bytes` };
    const bytes = whole ?? Buffer.concat(chunks, got);
    return { kind: 'ok', bytes, contentType };
  } catch (err) {
    const reason = abort.signal.aborted ? 'took too long' : messageOf(err);
    return { kind: 'failed', reason };
  } finally {
    clearTimeout(timer);
  }
}
