import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ResultStream } from '../src/media/result-stream.js';

const CLOCKS = { idleMs: 200, totalMs: 2000 };

/** Everything the stream gives, or its error. */
async function drain(out: Readable): Promise<{ bytes: number } | { error: string }> {
  let bytes = 0;
  try {
    for await (const chunk of out) bytes += (chunk as Buffer).length;
    return { bytes };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('ResultStream: a download read as the upload reads it', () => {
  it('GIVEN exactly the announced bytes THEN they all pass, once', async () => {
    const body = new PassThrough();
    const s = new ResultStream(body, 5, CLOCKS);
    const out = s.take();
    body.end(Buffer.from('hello'));
    expect(await drain(out)).toEqual({ bytes: 5 });
    expect(await drain(s.take())).toEqual({ error: 'the result was already read or dropped' });
  });

  it('GIVEN a body that ends short, or runs long THEN the stream fails (never a whole-looking file)', async () => {
    const short = new PassThrough();
    const a = new ResultStream(short, 10, CLOCKS).take();
    short.end(Buffer.from('hello'));
    expect(await drain(a)).toEqual({ error: 'download ended at 5 of 10 bytes' });
    const long = new PassThrough();
    const b = new ResultStream(long, 3, CLOCKS).take();
    long.end(Buffer.from('hello'));
    expect(await drain(b)).toEqual({ error: 'more bytes than the 3 announced' });
  });

  it('GIVEN a body that stalls THEN the stream fails after idleMs and Kling’s side is closed', async () => {
    const body = new PassThrough();
    const out = new ResultStream(body, 10, CLOCKS).take();
    body.write(Buffer.from('hel'));
    const started = Date.now();
    expect(await drain(out)).toEqual({ error: 'download stalled (200 ms without data)' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(body.destroyed).toBe(true);
  });

  it('GIVEN a result dropped unread THEN its download is closed and it cannot be read', async () => {
    const body = new PassThrough();
    const s = new ResultStream(body, 10, CLOCKS);
    s.drop();
    expect(body.destroyed).toBe(true);
    expect(await drain(s.take())).toMatchObject({ error: expect.any(String) });
  });
});

describe('ResultStream: fetched again for a second send', () => {
  const fresh = (text: string) => {
    const body = new PassThrough();
    body.end(Buffer.from(text));
    return new ResultStream(body, text.length, CLOCKS);
  };

  it('GIVEN a result read once and a way to fetch it again THEN a second take reads the new download', async () => {
    const body = new PassThrough();
    let fetched = 0;
    const s = new ResultStream(body, 5, CLOCKS, async () => {
      fetched++;
      return fresh('HELLO');
    });
    const first = s.take();
    body.end(Buffer.from('hello'));
    expect(await drain(first)).toEqual({ bytes: 5 });
    expect(await drain(s.take())).toEqual({ bytes: 5 });
    expect(fetched).toBe(1);
  });

  it('GIVEN the new download has another length, or the result was dropped THEN the take fails', async () => {
    const a = new ResultStream(new PassThrough(), 5, CLOCKS, async () => fresh('longer than five'));
    void drain(a.take());
    expect(await drain(a.take())).toEqual({ error: 'the result could not be fetched again whole' });
    const b = new ResultStream(new PassThrough(), 5, CLOCKS, async () => fresh('HELLO'));
    b.drop();
    expect(await drain(b.take())).toMatchObject({ error: expect.any(String) });
  });

  it('GIVEN a result left unread past totalMs THEN its download is closed, and a later take fetches it again', async () => {
    const body = new PassThrough();
    const s = new ResultStream(body, 5, { idleMs: 50, totalMs: 100 }, async () => fresh('HELLO'));
    await new Promise<void>((resolve) => body.on('close', resolve));
    expect(await drain(s.take())).toEqual({ bytes: 5 });
  });
});
