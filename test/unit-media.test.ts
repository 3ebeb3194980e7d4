/**
 * Platform copies, piece by piece: file names, the card as copies leave it, and downloads against
 * a local server that can lie about its size, send too much, or stall.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { withCopies, wantsCopies } from '../src/media/copies.js';
import { download } from '../src/media/download.js';
import { resultFilename, slug } from '../src/media/filename.js';
import { renderCard } from '../src/render/card.js';
import { mp4OfSize } from '../tools/kling-simulator/media-bytes.js';

const T0 = Date.parse('2026-11-26T10:00:00Z');
const URL_A = 'https://cdn.klingai.example/a.mp4';

describe('file names', () => {
  it('GIVEN prompts THEN a slug of the words, the task id, and an extension from the type', () => {
    expect(slug('A red fox, running through SNOW!')).toBe('a-red-fox-running-through-snow');
    expect(slug('Café crème — à la carte')).toBe('cafe-creme-a-la-carte');
    expect(slug('一只猫')).toBe('');
    expect(slug('word '.repeat(30)).length).toBeLessThanOrEqual(40);
    const base = { prompt: 'A red fox', taskId: 'kb3gq5w84t', index: 0, count: 1, url: URL_A };
    expect(resultFilename({ ...base, kind: 'video', contentType: 'video/mp4' })).toBe('a-red-fox-kb3gq5w84t.mp4');
    expect(resultFilename({ ...base, prompt: '一只猫', kind: 'video', contentType: '' })).toBe('kling-kb3gq5w84t.mp4');
    expect(
      resultFilename({ ...base, index: 2, count: 4, kind: 'image', contentType: 'image/jpeg', url: 'https://x/y' }),
    ).toBe('a-red-fox-kb3gq5w84t-3.jpg');
  });
});

function done(over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 'kb3gq5w84t',
    scope: { platform: 'discord', guildId: '1', channelId: '2', userId: '3', userName: 'alice' },
    request: { kind: 'text2video', prompt: 'a fox', model: 'm', mode: 'std', duration: '5', aspect_ratio: '16:9' },
    state: 'succeed',
    createdAt: T0,
    updatedAt: T0 + 60_000,
    finishedAt: T0 + 60_000,
    result: { videos: [{ id: 'v1', url: URL_A, duration: '5.1' }], images: [] },
    ...over,
  };
}

describe('the card as its copies leave it', () => {
  it('GIVEN no decision yet THEN copies are wanted; GIVEN an upload THEN hosted under its name', () => {
    const view = renderCard(done(), { now: T0 + 61_000 });
    expect(wantsCopies(view)).toBe(true);
    const copied = renderCard(
      done({ media: [{ url: URL_A, outcome: 'uploaded', filename: 'a-fox-kb3gq5w84t.mp4', bytes: 5, at: T0 }] }),
      { now: T0 + 61_000 },
    );
    expect(copied.media[0]?.hosted).toEqual({ filename: 'a-fox-kb3gq5w84t.mp4' });
    expect(copied.mediaNote).toBeUndefined();
    expect(wantsCopies(copied)).toBe(false);
  });

  it('GIVEN a result over the limit THEN the note gives its size, the limit and until when the link lives', () => {
    const view = renderCard(
      done({ media: [{ url: URL_A, outcome: 'too_large', bytes: 12_400_000, limit: 10_485_760, at: T0 }] }),
      { now: T0 + 61_000 },
    );
    expect(view.media[0]?.hosted).toBeUndefined();
    expect(view.mediaNote).toBe(
      "Too large to upload here (12.4 MB, the limit here is 10.5 MB). Kling's link works until 2026-12-26.",
    );
    expect(wantsCopies(view)).toBe(false);
    // A running card is never touched.
    const running = renderCard(done({ state: 'processing', result: undefined }), { now: T0 });
    expect(withCopies(running, [{ url: URL_A, outcome: 'failed', at: T0 }])).toEqual(running);
  });
});

describe('download', () => {
  let server: Server;
  let base = '';
  const body = mp4OfSize(50_000);
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      if (path === '/ok') {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': body.length });
        res.end(body);
      } else if (path === '/chunked') {
        res.writeHead(200, { 'content-type': 'video/mp4' });
        res.write(body.subarray(0, 30_000));
        res.end(body.subarray(30_000));
      } else if (path === '/stall') {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': body.length });
        res.write(body.subarray(0, 10_000));
      } else if (path === '/short') {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': body.length });
        res.end(body.subarray(0, 10_000));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const limits = { maxBytes: 100_000, totalMs: 5000, idleMs: 300 };

  it('GIVEN a file within the cap THEN its exact bytes; over the cap by Content-Length or by streaming THEN too large', async () => {
    const ok = await download(`${base}/ok`, limits);
    expect(ok.kind).toBe('ok');
    if (ok.kind === 'ok') expect(ok.bytes.equals(body)).toBe(true);
    expect(await download(`${base}/ok`, { ...limits, maxBytes: 49_999 })).toEqual({ kind: 'too_large', bytes: 50_000 });
    expect((await download(`${base}/chunked`, { ...limits, maxBytes: 40_000 })).kind).toBe('too_large');
    const chunked = await download(`${base}/chunked`, limits);
    expect(chunked.kind === 'ok' && chunked.bytes.length).toBe(50_000);
  });

  it('GIVEN a stall mid-body, a cut-short body, a 404 or a non-http link THEN no bytes, each said as such, within the limits', async () => {
    // Abandoned by the idle clock (300 ms without a byte: undici's body timeout), not by the 5 s total one.
    expect(await download(`${base}/stall`, limits)).toEqual({ kind: 'failed', reason: 'Body Timeout Error' });
    expect((await download(`${base}/short`, limits)).kind).toBe('failed');
    expect(await download(`${base}/gone`, limits)).toEqual({ kind: 'gone', status: 404 });
    expect(await download('file:///etc/passwd', limits)).toEqual({ kind: 'failed', reason: 'not an http(s) link' });
    const slow = await download(`${base}/stall`, { ...limits, idleMs: 5000, totalMs: 400 });
    expect(slow).toEqual({ kind: 'failed', reason: 'took too long' });
  });
});
