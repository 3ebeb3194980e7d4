import { messageOf } from '../../error-fields.js';
import type { CardHandle, TaskScope } from '../../domain.js';
import type { Logger } from '../../log.js';
import { PortRateLimitError, type Written } from '../../port.js';
import { UploadRefusedError, type AttachWritten, type MediaSink, type ReadyFile } from '../../media/stage.js';
import type { CardView } from '../../render/view.js';
import { Agent, request } from 'undici';
import { parseHandle } from './payloads.js';
import { rateLimitMs, slackErrorCode, type SlackWorkspaces } from './workspaces.js';

/**
 * The bot's own cap on Slack (Slack takes up to 1 GB). A file of announced length streams from
 * Kling into the upload URL; one without (held whole) is bounded by this times MEDIA_CONCURRENCY.
 */
export const SLACK_UPLOAD_LIMIT = 100 * 1024 * 1024;

/** How long the upload URL may take to answer once the last byte is sent. */
const UPLOAD_ANSWER_MS = 30_000;

/** Our own dispatcher for the upload URL (not Node's global one, see src/media/download.ts). */
const uploads = new Agent();

/** Slack's refusals that name what the bot lacks, for the admins' log line. */
const PERMISSION: Record<string, string> = {
  missing_scope: 'files:write',
  not_in_channel: 'membership of the channel (/invite the bot)',
  no_permission: 'files:write',
};

type Edit = (handle: CardHandle, view: CardView, scope: TaskScope) => Promise<Written<CardHandle | undefined>>;

/** The card while its files are on their way: it says they are being uploaded, not that they are there. */
const uploading = (view: CardView): CardView => ({
  ...view,
  media: view.media.map((m) => (m.hosted ? { ...m, hosted: { ...m.hosted, uploading: true } } : m)),
});

/**
 * Copies on Slack: `chat.update` cannot attach a file, so the card is made final first, saying the
 * copy is being uploaded to its thread; then each file goes there through the external-upload flow
 * (files.getUploadURLExternal → POST the bytes → files.completeUploadExternal, docs/sources.md,
 * "Slack uploads and modals"), the first with a comment that mentions the requester. Only then does
 * the card say the video is in its thread: the outbox writes that as the card's next edit (the
 * `shown` view tells it the card is not there yet), or the link and a note if the upload failed.
 */
export class SlackMediaSink implements MediaSink {
  readonly streams = true;
  /** Files whose bytes Slack has (a retry after a 429 on completing does not send them again). */
  private readonly sent = new WeakMap<ReadyFile, string>();

  constructor(
    private readonly workspaces: SlackWorkspaces,
    private readonly edit: Edit,
    private readonly log: Logger,
    private readonly limit = SLACK_UPLOAD_LIMIT,
  ) {}

  /**
   * POSTs the raw bytes with their length. A stream that ends short or stalls fails the request,
   * so Slack never has the whole file and it is never completed.
   */
  private async send(uploadUrl: string, f: ReadyFile): Promise<void> {
    const res = await request(uploadUrl, {
      method: 'POST',
      headers: { 'content-type': f.contentType, 'content-length': String(f.size) },
      body: f.bytes ?? f.stream.take(),
      headersTimeout: UPLOAD_ANSWER_MS,
      bodyTimeout: UPLOAD_ANSWER_MS,
      dispatcher: uploads,
    });
    await res.body.dump().catch(() => undefined);
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`the upload URL answered ${res.statusCode}`);
  }

  uploadLimit(): number {
    return this.limit;
  }

  async attach(
    handle: CardHandle,
    view: CardView,
    scope: TaskScope,
    files: readonly ReadyFile[],
    mention: boolean,
  ): Promise<AttachWritten> {
    // The card first: its gates throw before anything is sent, so a held write never uploads twice.
    const shown = files.length > 0 ? uploading(view) : view;
    const written = await this.edit(handle, shown, scope);
    const { channel, ts } = parseHandle(written.value ?? handle);
    const client = await this.workspaces.clientFor(scope.guildId);
    const what = view.kind === 'image' ? 'images are' : 'video is';
    const comment = mention ? `<@${view.requester.id}> your ${what} ready.` : undefined;
    try {
      const ids: Array<{ id: string; title: string }> = [];
      for (const f of files) {
        let id = this.sent.get(f);
        if (!id) {
          const url = await client.files.getUploadURLExternal({ filename: f.filename, length: f.size });
          if (!url.upload_url || !url.file_id) throw new Error('files.getUploadURLExternal gave no upload URL');
          await this.send(url.upload_url, f);
          id = url.file_id;
          this.sent.set(f, id);
        }
        ids.push({ id, title: f.filename });
      }
      if (ids.length > 0)
        await client.files.completeUploadExternal({
          files: [ids[0] as { id: string; title: string }, ...ids.slice(1)],
          channel_id: channel,
          thread_ts: ts,
          ...(comment ? { initial_comment: comment } : {}),
        });
      else if (comment) await client.chat.postMessage({ channel, thread_ts: ts, text: comment });
    } catch (err) {
      const wait = rateLimitMs(err);
      if (wait !== undefined) throw new PortRateLimitError(wait, { cause: err });
      const code = slackErrorCode(err);
      this.log.warn(
        { taskId: view.taskId, slackError: code, reason: code ? undefined : messageOf(err) },
        'upload into the card thread failed; nothing was shared',
      );
      if (files.length === 0) return written;
      if (code && PERMISSION[code]) throw new UploadRefusedError('permission', PERMISSION[code], { cause: err });
      if (code === 'file_too_large' || code === 'too_large')
        throw new UploadRefusedError('too_large', undefined, { cause: err });
      throw new UploadRefusedError('refused', undefined, { cause: err });
    }
    return shown === view ? written : { ...written, shown };
  }
}
