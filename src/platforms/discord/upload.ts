import { DiscordAPIError, RESTJSONErrorCodes, Routes } from 'discord.js';
import type { CardHandle, TaskScope } from '../../domain.js';
import { messageOf } from '../../error-fields.js';
import type { Logger } from '../../log.js';
import { CardGoneError, PortRateLimitError, type Written } from '../../port.js';
import { DownloadCutError } from '../../media/result-stream.js';
import { UploadRefusedError, type MediaSink, type ReadyFile } from '../../media/stage.js';
import type { CardView } from '../../render/view.js';
import { DiscordCardHandle, parseCardHandle } from './handles.js';
import type { UploadFile } from './multipart.js';
import type { PortRest } from './handles.js';

/** Discord's upload cap when the interaction did not say (docs/sources.md, "Discord uploads and modals"): 10 MiB. */
export const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;

/** What the sink uses of the port: its edit (which routes through token, channel or reply) with files. */
export interface DiscordEdits {
  edit(
    handle: CardHandle,
    view: CardView,
    scope: TaskScope,
    files?: readonly UploadFile[],
  ): Promise<Written<CardHandle | undefined>>;
  /** The token this card may still be written through, if any. */
  liveTokenOf(handle: DiscordCardHandle): string | undefined;
  /** One REST write, its rate limit turned into the port's error (see DiscordPort). */
  write(call: () => Promise<unknown>): Promise<Written<void>>;
}

const codeOf = (err: unknown) => (err instanceof DiscordAPIError ? Number(err.code) : undefined);
const statusOf = (err: unknown) => (err instanceof DiscordAPIError ? err.status : undefined);

/**
 * Copies on Discord: the files become attachments of the card itself, in the same edit that shows
 * it final (a V2 card's gallery plays them via attachment://). An edit notifies nobody, so the
 * requester gets one short follow-up that mentions only them. A result of announced length is read
 * from Kling as the edit's multipart body is sent (see multipart.ts), so it is never held whole.
 */
export class DiscordMediaSink implements MediaSink {
  readonly streams = true;

  constructor(
    private readonly edits: DiscordEdits,
    private readonly rest: PortRest,
    private readonly log: Logger,
  ) {}

  uploadLimit(handle: CardHandle): number {
    return DiscordCardHandle.safeParse(handle).data?.uploadLimit ?? DEFAULT_UPLOAD_LIMIT;
  }

  async attach(
    handle: CardHandle,
    view: CardView,
    scope: TaskScope,
    files: readonly ReadyFile[],
    _mention: boolean,
  ): Promise<Written<CardHandle | undefined>> {
    const upload: UploadFile[] = files.map((f) => ({
      name: f.filename,
      contentType: f.contentType,
      size: f.size,
      open: () => f.bytes ?? f.stream.take(),
    }));
    let written: Written<CardHandle | undefined>;
    try {
      written = await this.edits.edit(handle, view, scope, upload);
    } catch (err) {
      if (err instanceof PortRateLimitError || files.length === 0) throw err;
      if (statusOf(err) === 413 || codeOf(err) === RESTJSONErrorCodes.RequestEntityTooLarge)
        throw new UploadRefusedError('too_large', undefined, { cause: err });
      if (codeOf(err) === RESTJSONErrorCodes.MissingPermissions)
        throw new UploadRefusedError('permission', 'Attach Files', { cause: err });
      if (err instanceof DiscordAPIError || err instanceof CardGoneError) throw err;
      // The body never reached its end (the download under it was cut, or the connection was): Discord
      // kept nothing, and the card goes out with Kling's link and a note.
      this.log.warn(
        { taskId: view.taskId, reason: messageOf(err) },
        err instanceof DownloadCutError
          ? 'result download abandoned during the upload; the card keeps the link'
          : 'upload of the results failed; the card keeps the link',
      );
      throw new UploadRefusedError('refused', undefined, { cause: err });
    }
    return written;
  }

  /** "@requester, your video is ready", as a follow-up to the card; only that user may be pinged. */
  async mention(handle: CardHandle, view: CardView): Promise<Written<void>> {
    const h = parseCardHandle(handle);
    const what = view.kind === 'image' ? 'images are' : 'video is';
    const body = {
      content: `<@${view.requester.id}> your ${what} ready.`,
      allowed_mentions: { users: [view.requester.id] },
    };
    // A reply to the card in the channel; the interaction's follow-up only while the card's id is unknown.
    const token = this.edits.liveTokenOf(h);
    if (!h.messageId && token)
      return this.edits.write(() => this.rest.post(Routes.webhook(h.applicationId, token), { body, auth: false }));
    if (!h.messageId) return { value: undefined };
    return this.edits.write(() =>
      this.rest.post(Routes.channelMessages(h.channelId), {
        body: { ...body, message_reference: { message_id: h.messageId, fail_if_not_exists: false } },
      }),
    );
  }
}
