import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MultipartBody, withUploads } from '../src/platforms/discord/multipart.js';

async function bytesOf(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Parsed the way a server parses it (undici's multipart reader, as the fake Discord does). */
const parse = (body: Buffer, contentType: string) =>
  new Request('http://x/', { method: 'POST', headers: { 'content-type': contentType }, body }).formData();

describe('MultipartBody: a Discord message write with files, streamed', () => {
  it('GIVEN JSON and two files (a buffer, a stream) THEN payload_json and files[n] with filenames, in exactly the length it announced', async () => {
    const json = {
      content: 'hi "there"',
      attachments: [
        { id: '0', filename: 'a.mp4' },
        { id: '1', filename: 'b.png' },
      ],
    };
    const b = new MultipartBody(json, [
      { name: 'a.mp4', contentType: 'video/mp4', size: 5, open: () => Buffer.from('hello') },
      {
        name: 'b.png',
        contentType: 'image/png',
        size: 3,
        open: () => Readable.from([Buffer.from('ab'), Buffer.from('c')]),
      },
    ]);
    const sent = await bytesOf(b.stream());
    expect(sent.length).toBe(b.length);
    const form = await parse(sent, b.contentType);
    expect(JSON.parse(form.get('payload_json') as string)).toEqual(json);
    const a = form.get('files[0]') as File;
    const p = form.get('files[1]') as File;
    expect([a.name, a.type, await a.text()]).toEqual(['a.mp4', 'video/mp4', 'hello']);
    expect([p.name, p.type, await p.text()]).toEqual(['b.png', 'image/png', 'abc']);
    // A second send opens the files again and is the same body.
    expect((await bytesOf(b.stream())).equals(sent)).toBe(true);
  });

  it('GIVEN a file stream that ends short or runs long THEN the body fails: never a whole-looking upload', async () => {
    const short = new MultipartBody({}, [
      { name: 'a.mp4', contentType: 'video/mp4', size: 10, open: () => Readable.from([Buffer.from('hello')]) },
    ]);
    await expect(bytesOf(short.stream())).rejects.toThrow('a.mp4: 5 of its 10 bytes');
    const long = new MultipartBody({}, [
      { name: 'a.mp4', contentType: 'video/mp4', size: 2, open: () => Readable.from([Buffer.from('hello')]) },
    ]);
    await expect(bytesOf(long.stream())).rejects.toThrow('more bytes than its 2');
    const failing = () => {
      const body = new PassThrough();
      body.write(Buffer.from('hel'), () => body.destroy(new Error('download stalled')));
      return body;
    };
    const cut = new MultipartBody({}, [{ name: 'a.mp4', contentType: 'video/mp4', size: 10, open: failing }]);
    await expect(bytesOf(cut.stream())).rejects.toThrow('download stalled');
  });

  it('GIVEN a filename with quotes or line breaks THEN they cannot break out of its header', async () => {
    const b = new MultipartBody({}, [
      { name: 'a"b\r\nX-Evil: 1.mp4', contentType: 'video/mp4', size: 1, open: () => Buffer.from('x') },
    ]);
    const sent = (await bytesOf(b.stream())).toString();
    expect(sent).toContain('filename="a%22b%0D%0AX-Evil: 1.mp4"');
    expect(sent).not.toMatch(/^X-Evil/m);
    const form = await parse(Buffer.from(sent), b.contentType);
    expect([...form.keys()]).toEqual(['payload_json', 'files[0]']);
    expect((form.get('files[0]') as File).name).toBe('a"b\r\nX-Evil: 1.mp4');
  });

  it('GIVEN no files THEN the write stays plain JSON; with files THEN a pass-through body with its type and length', () => {
    expect(withUploads({ a: 1 }, [])).toEqual({ body: { a: 1 } });
    const up = withUploads({ a: 1 }, [{ name: 'a', contentType: 'video/mp4', size: 1, open: () => Buffer.from('x') }]);
    expect(up.passThroughBody).toBe(true);
    expect(up.body).toBeInstanceOf(MultipartBody);
    const body = up.body as MultipartBody;
    expect(up.headers).toEqual({ 'Content-Type': body.contentType, 'Content-Length': String(body.length) });
  });
});
