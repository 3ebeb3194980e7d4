import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { DownloadCutError } from '../../media/result-stream.js';

/** A file for a message write: its bytes are opened when the request is sent (and again for a second send). */
export interface UploadFile {
  name: string;
  contentType: string;
  /** Exactly the bytes `open` gives. */
  size: number;
  open(): Buffer | Readable;
}

const CRLF = '\r\n';

/** A name or filename inside a quoted Content-Disposition parameter (HTML's multipart/form-data encoding). */
const quoted = (s: string) => s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/**
 * A message write with files, as Discord documents it
 * (https://discord.com/developers/docs/reference#uploading-files): a multipart/form-data body whose
 * `payload_json` part carries the JSON message and whose `files[n]` parts (n = the attachments'
 * ids) each carry a Content-Disposition with that name and a filename. The body is streamed, each
 * file read as the socket takes it, with the Content-Length counted up front; discord.js would
 * copy every file into a Blob and the Blob into the request, several times the file.
 */
export class MultipartBody {
  readonly boundary = `----kling-bot-${randomBytes(16).toString('hex')}`;
  private readonly heads: Buffer[];
  private readonly tail: Buffer;
  readonly length: number;

  constructor(
    json: unknown,
    private readonly files: readonly UploadFile[],
  ) {
    const payload =
      `--${this.boundary}${CRLF}Content-Disposition: form-data; name="payload_json"${CRLF}` +
      `Content-Type: application/json${CRLF}${CRLF}${JSON.stringify(json)}${CRLF}`;
    this.heads = files.map((f, n) =>
      Buffer.from(
        `${n === 0 ? payload : ''}--${this.boundary}${CRLF}` +
          `Content-Disposition: form-data; name="files[${n}]"; filename="${quoted(f.name)}"${CRLF}` +
          `Content-Type: ${f.contentType.replace(/[\r\n]/g, '')}${CRLF}${CRLF}`,
      ),
    );
    if (files.length === 0) this.heads.push(Buffer.from(payload));
    this.tail = Buffer.from(`--${this.boundary}--${CRLF}`);
    const crlfs = files.length * CRLF.length;
    this.length =
      this.heads.reduce((n, h) => n + h.length, 0) + files.reduce((n, f) => n + f.size, 0) + crlfs + this.tail.length;
  }

  get contentType(): string {
    return `multipart/form-data; boundary=${this.boundary}`;
  }

  /** The body, anew for each send. A file that fails (short, stalled) fails the body: never a cut file. */
  stream(): Readable {
    const { heads, tail, files } = this;
    async function* parts(): AsyncGenerator<Buffer> {
      for (const [n, f] of files.entries()) {
        yield heads[n] as Buffer;
        const bytes = f.open();
        let sent = 0;
        if (Buffer.isBuffer(bytes)) yield bytes;
        else
          for await (const chunk of bytes) {
            sent += (chunk as Buffer).length;
            if (sent > f.size) throw new DownloadCutError(`${f.name}: more bytes than its ${f.size}`);
            yield chunk as Buffer;
          }
        if (!Buffer.isBuffer(bytes) && sent !== f.size)
          throw new DownloadCutError(`${f.name}: ${sent} of its ${f.size} bytes`);
        yield Buffer.from(CRLF);
      }
      if (files.length === 0) yield heads[0] as Buffer;
      yield tail;
    }
    return Readable.from(parts(), { objectMode: false });
  }
}

/** The options of a discord.js REST write that sends `json` with `files` as a streamed multipart body. */
export function withUploads(json: object, files: readonly UploadFile[] | undefined) {
  if (!files || files.length === 0) return { body: json };
  const body = new MultipartBody(json, files);
  return {
    body,
    passThroughBody: true,
    headers: { 'Content-Type': body.contentType, 'Content-Length': String(body.length) },
  };
}
