/**
 * The fake Discord refuses Components V2 bodies and uploads as Discord does: no content or embeds
 * with the flag, 40 components counted through every level, a gallery of 1–10 items,
 * attachment:// names that match the message's files, and files over the upload limit (413 / 40005).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { snowflake, startFakeDiscord, type FakeDiscord } from './fakes/discord/index.js';

const TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.fake.bot-token-for-v2-tests';
const APP = snowflake(Date.parse('2023-01-01T00:00:00Z'));
const GUILD = snowflake(Date.parse('2023-02-01T00:00:00Z'));
const CHANNEL = snowflake(Date.parse('2023-02-02T00:00:00Z'));
const V2 = 1 << 15;
const LIMIT = 64 * 1024;

let fake: FakeDiscord | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(): Promise<FakeDiscord> {
  fake = await startFakeDiscord({
    botToken: TOKEN,
    applicationId: APP,
    guilds: [{ id: GUILD, channels: [CHANNEL] }],
    channelEditLimit: null,
    attachmentSizeLimit: LIMIT,
  });
  return fake;
}

interface Answer {
  status: number;
  json: { code?: number; errors?: unknown; id?: string; attachments?: Array<{ filename: string }> };
}

async function send(f: FakeDiscord, method: string, path: string, body: unknown, files: Array<[string, number]> = []) {
  const url = `${f.apiUrl}/v10${path}`;
  const headers = { Authorization: `Bot ${TOKEN}` };
  let res: Response;
  if (files.length === 0) {
    res = await fetch(url, {
      method,
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } else {
    const form = new FormData();
    form.set('payload_json', JSON.stringify(body));
    files.forEach(([name, size], i) =>
      form.set(`files[${i}]`, new Blob([new Uint8Array(size)], { type: 'video/mp4' }), name),
    );
    res = await fetch(url, { method, headers, body: form });
  }
  return { status: res.status, json: (await res.json()) as Answer['json'] } satisfies Answer;
}

const text = (content: string) => ({ type: 10, content });
const gallery = (...urls: string[]) => ({ type: 12, items: urls.map((url) => ({ media: { url } })) });
const container = (...components: unknown[]) => ({ type: 17, components });
const button = (id: string) => ({ type: 2, style: 2, label: id, custom_id: id });
const row = (...components: unknown[]) => ({ type: 1, components });
const errorText = (a: Answer) => JSON.stringify(a.json.errors ?? a.json);

describe('fake Discord: Components V2 bodies', () => {
  it('refuses content or embeds with the flag, and a 41st component counted inside the container', async () => {
    const f = await start();
    const post = (body: unknown) => send(f, 'POST', `/channels/${CHANNEL}/messages`, body);
    const withContent = await post({ flags: V2, content: 'hi', components: [container(text('a'))] });
    expect(withContent.status).toBe(400);
    expect(errorText(withContent)).toContain('MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2');
    const withEmbed = await post({ flags: V2, embeds: [{ title: 't' }], components: [container(text('a'))] });
    expect(errorText(withEmbed)).toContain('MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2');
    // 1 container + 3 texts + 6 rows × (1 + 5 buttons) = 40: accepted; one more text is 41.
    const rows = Array.from({ length: 6 }, (_, r) => row(...Array.from({ length: 5 }, (_, b) => button(`b${r}-${b}`))));
    const forty = await post({ flags: V2, components: [container(text('a'), text('b'), text('c'), ...rows)] });
    expect(forty.status).toBe(200);
    const fortyOne = await post({
      flags: V2,
      components: [container(text('a'), text('b'), text('c'), text('d'), ...rows)],
    });
    expect(fortyOne.status).toBe(400);
    expect(errorText(fortyOne)).toContain('COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED');
  });

  it('a container’s accent colour is null or an RGB integer (0 to 0xFFFFFF)', async () => {
    const f = await start();
    const post = (accent: unknown) =>
      send(f, 'POST', `/channels/${CHANNEL}/messages`, {
        flags: V2,
        components: [{ ...container(text('a')), accent_color: accent }],
      });
    for (const ok of [null, 0, 0xffffff]) expect((await post(ok)).status).toBe(200);
    expect(errorText(await post(0x1000000))).toContain('NUMBER_TYPE_MAX');
    expect(errorText(await post(-1))).toContain('NUMBER_TYPE_MIN');
    expect(errorText(await post([1, 2, 3]))).toContain('NUMBER_TYPE_COERCE');
  });

  it('a gallery takes 1 to 10 items with http(s) or attachment:// URLs', async () => {
    const f = await start();
    const post = (body: unknown) => send(f, 'POST', `/channels/${CHANNEL}/messages`, body);
    const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://cdn.example/${i}.png`);
    expect((await post({ flags: V2, components: [container(gallery(...urls(10)))] })).status).toBe(200);
    const none = await post({ flags: V2, components: [container(gallery())] });
    expect(errorText(none)).toContain('BASE_TYPE_BAD_LENGTH');
    const eleven = await post({ flags: V2, components: [container(gallery(...urls(11)))] });
    expect(eleven.status).toBe(400);
    const ftp = await post({ flags: V2, components: [container(gallery('ftp://cdn.example/a.mp4'))] });
    expect(errorText(ftp)).toContain('URL_TYPE_INVALID_SCHEME');
  });

  it('attachment:// must name a file of the message: uploaded now, or kept from before on an edit', async () => {
    const f = await start();
    const path = `/channels/${CHANNEL}/messages`;
    const missing = await send(f, 'POST', path, { flags: V2, components: [container(gallery('attachment://a.mp4'))] });
    expect(errorText(missing)).toContain('UNFURLED_MEDIA_ITEM_ATTACHMENT_NOT_FOUND');
    const wrongName = await send(
      f,
      'POST',
      path,
      { flags: V2, components: [container(gallery('attachment://b.mp4'))] },
      [['a.mp4', 1000]],
    );
    expect(wrongName.status).toBe(400);
    const ok = await send(f, 'POST', path, { flags: V2, components: [container(gallery('attachment://a.mp4'))] }, [
      ['a.mp4', 1000],
    ]);
    expect(ok.status).toBe(200);
    expect(ok.json.attachments?.map((a) => a.filename)).toEqual(['a.mp4']);
    // An edit without files keeps the attachment, so the gallery may still point at it.
    const id = ok.json.id ?? '';
    const kept = await send(f, 'PATCH', `${path}/${id}`, {
      flags: V2,
      components: [container(text('edited'), gallery('attachment://a.mp4'))],
    });
    expect(kept.status).toBe(200);
    // The flag cannot be removed.
    const legacy = await send(f, 'PATCH', `${path}/${id}`, { flags: 0, content: 'back to text' });
    expect(legacy.status).toBe(400);
  });

  it('a file over the upload limit is refused whole: 413, code 40005; at the limit it is taken', async () => {
    const f = await start();
    const path = `/channels/${CHANNEL}/messages`;
    const body = { flags: V2, components: [container(gallery('attachment://v.mp4'))] };
    const over = await send(f, 'POST', path, body, [['v.mp4', LIMIT + 1]]);
    expect(over.status).toBe(413);
    expect(over.json.code).toBe(40005);
    expect(f.messagesIn(CHANNEL)).toHaveLength(0);
    const at = await send(f, 'POST', path, body, [['v.mp4', LIMIT]]);
    expect(at.status).toBe(200);
  });
});

describe('fake Discord: multipart bodies as Discord documents them', () => {
  /** A hand-made multipart body, so a test can send what FormData would never build. */
  const raw = (parts: Array<{ disposition: string; type?: string; body: string }>) => {
    const b = 'fake-test-boundary';
    const text =
      parts
        .map(
          (p) =>
            `--${b}\r\nContent-Disposition: ${p.disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n${p.body}\r\n`,
        )
        .join('') + `--${b}--\r\n`;
    return { body: text, type: `multipart/form-data; boundary=${b}` };
  };
  const post = async (f: FakeDiscord, m: { body: string; type: string }) => {
    const res = await fetch(`${f.apiUrl}/v10/channels/${CHANNEL}/messages`, {
      method: 'POST',
      headers: { Authorization: `Bot ${TOKEN}`, 'Content-Type': m.type },
      body: m.body,
    });
    return { status: res.status, json: (await res.json()) as Answer['json'] } satisfies Answer;
  };
  const payload = {
    disposition: 'form-data; name="payload_json"',
    type: 'application/json',
    body: JSON.stringify({ flags: V2, components: [container(gallery('attachment://a.mp4'))] }),
  };

  it('every files[n] part carries a filename and a name of its own; payload_json is text', async () => {
    const f = await start();
    const file = (name: string, filename?: string) => ({
      disposition: `form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}`,
      type: 'video/mp4',
      body: 'bytes',
    });
    expect((await post(f, raw([payload, file('files[0]', 'a.mp4')]))).status).toBe(200);
    const unnamed = await post(f, raw([payload, file('files[0]')]));
    expect(unnamed.status).toBe(400);
    expect(errorText(unnamed)).toContain('FILE_NAME_REQUIRED');
    const twice = await post(f, raw([payload, file('files[0]', 'a.mp4'), file('files[0]', 'b.mp4')]));
    expect(errorText(twice)).toContain('FILE_NAME_DUPLICATE');
    const payloadAsFile = await post(
      f,
      raw([
        { ...payload, disposition: 'form-data; name="payload_json"; filename="p.json"' },
        file('files[0]', 'a.mp4'),
      ]),
    );
    expect(payloadAsFile.status).toBe(400);
    expect(f.messagesIn(CHANNEL)).toHaveLength(1);
  });

  it('a body the client cuts off is recorded as aborted and nothing of it is kept', async () => {
    const f = await start();
    const { request } = await import('node:http');
    const m = raw([
      payload,
      { disposition: 'form-data; name="files[0]"; filename="a.mp4"', type: 'video/mp4', body: 'x'.repeat(1000) },
    ]);
    const url = new URL(`${f.apiUrl}/v10/channels/${CHANNEL}/messages`);
    const req = request(url, {
      method: 'POST',
      headers: { Authorization: `Bot ${TOKEN}`, 'Content-Type': m.type, 'Content-Length': String(m.body.length) },
    });
    req.on('error', () => undefined);
    req.write(m.body.slice(0, 500), () => req.destroy());
    await f.waitFor(() => f.requests.some((r) => r.aborted), 5000);
    expect(f.messagesIn(CHANNEL)).toHaveLength(0);
  });
});
