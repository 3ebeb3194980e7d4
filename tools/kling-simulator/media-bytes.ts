/**
 * Result files of a chosen size for the simulator (tools/kling-simulator/simulator.ts hands its
 * /media/ answers here when `media` is set): a real ISO-BMFF (mp4) file, an `ftyp` box and a
 * `free` box padding it to the size asked for, so a client sees genuine mp4 bytes of that length.
 * It can also stall mid-body (send part, then nothing) or leave out Content-Length.
 */
import type { ServerResponse } from 'node:http';

export interface MediaServing {
  /**
   * Size of every result file in bytes, or per file name (`<taskId>.mp4`, `<taskId>-0.png`); undefined keeps the
   * tiny file.
   */
  bytes?: number | ((name: string) => number | undefined);
  /** Send this many bytes of the body, then nothing more (the connection stays open). */
  stallAfter?: number | ((name: string) => number | undefined);
  /** Chunked, without Content-Length. */
  noLength?: boolean;
}

const FTYP = Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex');
const FREE_HEADER = 8;

/** An mp4 of exactly `size` bytes (at least the 24-byte ftyp box): ftyp, then one `free` box. */
export function mp4OfSize(size: number): Buffer {
  if (size <= FTYP.length + FREE_HEADER) return Buffer.concat([FTYP, Buffer.alloc(Math.max(0, size - FTYP.length))]);
  const out = Buffer.alloc(size);
  FTYP.copy(out, 0);
  out.writeUInt32BE(size - FTYP.length, FTYP.length);
  out.write('free', FTYP.length + 4, 'latin1');
  return out;
}

/**
 * The files already made, by size (the few last sizes asked for): every result of one size is the same bytes, and
 * making 2 MB anew for each download (zeroed, then written) cost the simulator's thread more than serving it.
 */
const made = new Map<number, Buffer>();
const MADE_SIZES = 4;

function mp4Served(size: number): Buffer {
  const known = made.get(size);
  if (known) return known;
  const file = mp4OfSize(size);
  made.set(size, file);
  if (made.size > MADE_SIZES) made.delete(made.keys().next().value ?? size);
  return file;
}

const pick = (v: number | ((name: string) => number | undefined) | undefined, name: string) =>
  typeof v === 'function' ? v(name) : v;

/** What a stalled response holds open, so the simulator can close it on shutdown. */
const stalled = new Set<ServerResponse>();
export const closeStalled = () => {
  for (const res of stalled) res.destroy();
  stalled.clear();
};

/**
 * Answers a successful /media/ request with a file of the configured size. Returns false when the
 * size is not configured for this name (the simulator then answers as it always did).
 */
export function serveSizedMedia(
  res: ServerResponse,
  method: string,
  name: string,
  type: string,
  serving: MediaServing,
): boolean {
  const size = pick(serving.bytes, name);
  const stallAfter = pick(serving.stallAfter, name);
  if (size === undefined && stallAfter === undefined) return false;
  const body = type === 'video/mp4' ? mp4Served(size ?? 1024) : Buffer.alloc(size ?? 1024);
  res.writeHead(200, { 'content-type': type, ...(serving.noLength ? {} : { 'content-length': body.length }) });
  if (method === 'HEAD') {
    res.end();
    return true;
  }
  if (stallAfter !== undefined && stallAfter < body.length) {
    res.write(body.subarray(0, stallAfter));
    stalled.add(res);
    res.on('close', () => stalled.delete(res));
    return true;
  }
  res.end(body);
  return true;
}
