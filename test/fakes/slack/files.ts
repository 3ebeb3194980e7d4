/**
 * Slack's external upload flow, as strict as Slack (docs/sources.md, "Slack uploads and modals"):
 * files.getUploadURLExternal (filename, length in bytes; needs files:write) → a POST of exactly
 * `length` bytes to the returned URL → files.completeUploadExternal (files JSON [{id, title}],
 * channel_id, thread_ts, initial_comment); a file whose bytes did not arrive whole cannot be
 * completed. A file over `maxFileBytes` is refused at the first step. The upload URL is strict:
 * one POST, within `uploadUrlTtlMs` of being handed out, with a Content-Length equal to the length
 * announced (no chunked body), whose body arrives whole within `uploadDeadlineMs`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

export interface FakeUpload {
  id: string;
  filename: string;
  /** Bytes announced at getUploadURLExternal. */
  length: number;
  /** Bytes received at the upload URL (undefined: nothing posted yet, or not whole). */
  received?: number;
  /** When the upload URL was handed out, and whether a POST has used it. */
  issuedAt: number;
  posted?: boolean;
  /** Why the upload URL refused a POST (for tests). */
  refused?: string;
  /** Shared into a channel: where, under which message, with which comment. */
  shared?: { channel: string; threadTs?: string; initialComment?: string; title?: string; at: number };
}

type Result = { status: number; body: Record<string, unknown> };
const ok = (body: Record<string, unknown> = {}): Result => ({ status: 200, body: { ok: true, ...body } });
const fail = (error: string): Result => ({ status: 200, body: { ok: false, error } });

export interface FilesOptions {
  /** The bot's scopes; without files:write the methods answer missing_scope. Default includes it. */
  scopes?: readonly string[];
  /** Slack's per-file cap (1 GB); tests set less. */
  maxFileBytes?: number;
  /** How long an upload URL takes a POST after it is handed out (default 60 s). */
  uploadUrlTtlMs?: number;
  /** How long one POST may take to deliver its body (default 30 s). */
  uploadDeadlineMs?: number;
}

export class FakeSlackFiles {
  readonly uploads = new Map<string, FakeUpload>();

  constructor(
    private readonly opts: FilesOptions,
    private readonly baseUrl: () => string,
    /** Channel checks of the fake: undefined when fine, else Slack's error code. */
    private readonly channelError: (channel: string | undefined) => string | undefined,
    /** The fake's clock (ms), which a test may move: an upload URL's lifetime is counted on it. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  static readonly METHODS = ['files.getUploadURLExternal', 'files.completeUploadExternal'];

  private get canWrite(): boolean {
    return (this.opts.scopes ?? ['files:write']).includes('files:write');
  }

  /** Files shared into `channel` (under `threadTs` when given), in order. */
  sharedIn(channel: string, threadTs?: string): FakeUpload[] {
    return [...this.uploads.values()].filter(
      (u) => u.shared?.channel === channel && (threadTs === undefined || u.shared.threadTs === threadTs),
    );
  }

  handle(method: string, params: Record<string, unknown>): Result {
    if (!this.canWrite) return fail('missing_scope');
    return method === 'files.getUploadURLExternal' ? this.getUrl(params) : this.complete(params);
  }

  private getUrl(params: Record<string, unknown>): Result {
    const filename = typeof params['filename'] === 'string' ? params['filename'] : '';
    const length = Number(params['length']);
    if (!filename) return fail('invalid_arguments');
    if (!Number.isSafeInteger(length) || length <= 0) return fail('invalid_arguments');
    if (length > (this.opts.maxFileBytes ?? 1024 ** 3)) return fail('file_too_large');
    const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
    this.uploads.set(id, { id, filename, length, issuedAt: this.now() });
    return ok({ upload_url: `${this.baseUrl()}upload/${id}`, file_id: id });
  }

  private complete(params: Record<string, unknown>): Result {
    let files: unknown = params['files'];
    if (typeof files === 'string') {
      try {
        files = JSON.parse(files);
      } catch {
        return fail('invalid_arguments');
      }
    }
    if (!Array.isArray(files) || files.length === 0) return fail('invalid_arguments');
    const channel = typeof params['channel_id'] === 'string' ? params['channel_id'] : undefined;
    const threadTs = typeof params['thread_ts'] === 'string' ? params['thread_ts'] : undefined;
    const comment = typeof params['initial_comment'] === 'string' ? params['initial_comment'] : undefined;
    if (comment !== undefined && params['blocks'] !== undefined) return fail('invalid_arguments');
    if (channel !== undefined) {
      const err = this.channelError(channel);
      if (err) return fail(err);
    }
    const found: Array<{ upload: FakeUpload; title?: string }> = [];
    for (const f of files) {
      const id = f && typeof f === 'object' ? (f as { id?: unknown }).id : undefined;
      const upload = typeof id === 'string' ? this.uploads.get(id) : undefined;
      // Bytes missing or cut short: Slack has no complete file to share.
      if (!upload || upload.received !== upload.length || upload.shared) return fail('file_not_found');
      const title = (f as { title?: unknown }).title;
      found.push({ upload, ...(typeof title === 'string' ? { title } : {}) });
    }
    const at = Date.now();
    found.forEach(({ upload, title }, i) => {
      if (channel === undefined) return;
      upload.shared = {
        channel,
        ...(threadTs ? { threadTs } : {}),
        ...(i === 0 && comment ? { initialComment: comment } : {}),
        ...(title ? { title } : {}),
        at,
      };
    });
    return ok({ files: found.map(({ upload, title }) => ({ id: upload.id, title: title ?? upload.filename })) });
  }

  /** POST /upload/:id — counts the bytes as they stream in; anything but exactly `length`, in time, is refused. */
  async receive(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const upload = this.uploads.get(id);
    const refuse = (status: number, why: string) => {
      if (upload) upload.refused = why;
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
      res.end(why);
      req.resume();
    };
    if (!upload) return refuse(404, 'unknown upload');
    if (upload.posted) return refuse(400, 'upload URL already used');
    upload.posted = true;
    if (this.now() - upload.issuedAt > (this.opts.uploadUrlTtlMs ?? 60_000)) return refuse(410, 'upload URL expired');
    const declared = req.headers['content-length'];
    if (declared === undefined) return refuse(411, 'Content-Length required');
    if (Number(declared) !== upload.length)
      return refuse(400, `Content-Length ${declared}, announced ${upload.length}`);
    const deadline = setTimeout(
      () => req.destroy(new Error('upload deadline passed')),
      this.opts.uploadDeadlineMs ?? 30_000,
    );
    let got = 0;
    try {
      for await (const chunk of req) got += (chunk as Buffer).length;
    } catch {
      // The client went away mid-body, or the deadline passed: what arrived is not a file.
      upload.refused = `cut off after ${got} of ${upload.length} bytes`;
      return;
    } finally {
      clearTimeout(deadline);
    }
    if (got !== upload.length) return refuse(400, `expected ${upload.length} bytes, got ${got}`);
    upload.received = got;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${got}`);
  }
}
