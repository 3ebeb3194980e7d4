/**
 * A card's transfer (MEDIA_CONCURRENCY) is held while its files' bytes move: a streamed copy frees it
 * once the upload has read its last byte, before the platform answers; a copy held whole keeps it
 * until the write is done; a copy read again takes a transfer again first.
 */
import type { PassThrough, Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { CardHandle } from '../src/domain.js';
import type { Download } from '../src/media/download.js';
import { HeldTransfer } from '../src/media/held-transfer.js';
import { MediaStage, type MediaSink } from '../src/media/stage.js';
import { silentLogger } from '../src/log.js';
import type { CardView } from '../src/render/view.js';

/** Each download of the real MediaStage: a body the test writes, of 3 bytes announced. */
const bodies = vi.hoisted(() => [] as Array<{ url: string; body: PassThrough }>);
vi.mock('../src/media/download.js', async (importOriginal) => {
  const { PassThrough: Pass } = await import('node:stream');
  const { ResultStream: Stream } = await import('../src/media/result-stream.js');
  const clocks = { idleMs: 60_000, totalMs: 60_000 };
  const open = (url: string): InstanceType<typeof Stream> => {
    const body = new Pass();
    bodies.push({ url, body });
    return new Stream(body, 3, clocks, async () => open(url));
  };
  return {
    ...(await importOriginal<typeof import('../src/media/download.js')>()),
    download: async (url: string): Promise<Download> => ({
      kind: 'stream',
      stream: open(url),
      contentType: 'video/mp4',
    }),
  };
});

const flush = () => new Promise((r) => setImmediate(r));

async function readAll(out: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of out) n += (chunk as Buffer).length;
  return n;
}

/** A transfer pool of its own, counting what is held. */
function pool() {
  const state = { inUse: 0, asked: 0, grant: [] as Array<() => void> };
  const acquire = () =>
    new Promise<() => void>((resolve) => {
      state.asked++;
      state.grant.push(() => {
        state.inUse++;
        resolve(() => state.inUse--);
      });
    });
  return { state, acquire };
}

describe('HeldTransfer: a card’s transfer, held while its bytes move', () => {
  it('GIVEN two streamed files THEN the transfer frees only once both were read to their end', () => {
    const released = vi.fn();
    const held = new HeldTransfer(released, [0, 1], false, () => Promise.reject(new Error('unused')));
    held.holdFor(1).sent();
    expect(released).not.toHaveBeenCalled();
    held.holdFor(0).sent();
    expect(released).toHaveBeenCalledTimes(1);
    held.close();
    expect(released).toHaveBeenCalledTimes(1);
  });

  it('GIVEN a file held whole beside a streamed one THEN the transfer stays until the write is done', () => {
    const released = vi.fn();
    const held = new HeldTransfer(released, [0], true, () => Promise.reject(new Error('unused')));
    held.holdFor(0).sent();
    expect(released).not.toHaveBeenCalled();
    held.close();
    expect(released).toHaveBeenCalledTimes(1);
  });

  it('GIVEN a freed transfer and a file read again THEN a transfer is taken before the fetch, for the whole resend', async () => {
    const { state, acquire } = pool();
    const held = new HeldTransfer(() => undefined, [0, 1], false, acquire);
    held.holdFor(0).sent();
    held.holdFor(1).sent();
    let fetched = false;
    const again = held
      .holdFor(0)
      .retake()
      .then(() => (fetched = true));
    await flush();
    expect([state.asked, fetched]).toEqual([1, false]);
    state.grant[0]?.();
    await again;
    expect([state.inUse, held.held]).toEqual([1, true]);
    // The second file of the same resend rides on the same transfer.
    await held.holdFor(1).retake();
    expect(state.asked).toBe(1);
    held.holdFor(0).sent();
    expect(state.inUse).toBe(1);
    held.holdFor(1).sent();
    expect([state.inUse, held.held]).toEqual([0, false]);
  });

  it('GIVEN the write dropped while a second read waits for a transfer THEN that transfer frees at once and later reads fail', async () => {
    const { state, acquire } = pool();
    const held = new HeldTransfer(() => undefined, [0], false, acquire);
    held.holdFor(0).sent();
    const again = held.holdFor(0).retake();
    held.close();
    state.grant[0]?.();
    await again;
    expect(state.inUse).toBe(0);
    await expect(held.holdFor(0).retake()).rejects.toThrow();
  });
});

describe('MediaStage: a streamed copy frees its transfer once the upload has read it', () => {
  const handle: CardHandle = { card: 'x' };
  const view = (taskId: string): CardView => ({
    taskId,
    kind: 'text2video',
    state: 'succeed',
    tone: 'success',
    title: 'Text to video',
    statusLine: 'done',
    prompt: 'p',
    fields: [],
    requester: { id: 'u', name: 'u' },
    startedAt: 0,
    media: [{ url: `https://kling.example/${taskId}.mp4`, label: 'Video', kind: 'video' }],
    buttons: [],
    fallbackText: 'done',
  });
  const sink: MediaSink = {
    streams: true,
    uploadLimit: () => 10 * 1024 * 1024,
    attach: () => Promise.reject(new Error('unused')),
  };

  it('GIVEN one transfer, a card whose copy was read to its end and the platform not yet answering THEN the next card’s download starts; a second read of the first waits for a transfer', async () => {
    bodies.length = 0;
    const stage = new MediaStage({ concurrency: 1, log: silentLogger });
    const a = await stage.prepare(view('a'), handle, sink);
    const b = stage.prepare(view('b'), handle, sink);
    await flush();
    expect(bodies.map((d) => d.url)).toEqual(['https://kling.example/a.mp4']);
    // The upload reads a's bytes to the end; its write's answer has not come.
    const first = a.files[0]?.stream?.take() as Readable;
    bodies[0]?.body.end(Buffer.from('mp4'));
    expect(await readAll(first)).toBe(3);
    await flush();
    expect(bodies.map((d) => d.url)).toEqual(['https://kling.example/a.mp4', 'https://kling.example/b.mp4']);
    const prepared = await b;
    expect(stage.inUse).toBe(1);
    // a's write is sent again (a 429 after its body): its fresh download waits for b's transfer.
    const second = a.files[0]?.stream?.take() as Readable;
    await flush();
    expect(bodies).toHaveLength(2);
    prepared.release();
    await flush();
    expect(bodies.map((d) => d.url)).toEqual([
      'https://kling.example/a.mp4',
      'https://kling.example/b.mp4',
      'https://kling.example/a.mp4',
    ]);
    bodies[2]?.body.end(Buffer.from('MP4'));
    expect(await readAll(second)).toBe(3);
    expect(stage.inUse).toBe(0);
    a.release();
    expect(stage.inUse).toBe(0);
  });

  it('GIVEN a copy whose stream was not read THEN its transfer stays held until the card is released', async () => {
    bodies.length = 0;
    const stage = new MediaStage({ concurrency: 1, log: silentLogger });
    const a = await stage.prepare(view('a'), handle, sink);
    expect(stage.inUse).toBe(1);
    a.release();
    expect(stage.inUse).toBe(0);
    expect(bodies[0]?.body.destroyed).toBe(true);
  });
});
