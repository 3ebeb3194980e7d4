import { DiscordAPIError, RESTJSONErrorCodes, Routes, type RawFile } from 'discord.js';
import type { CardHandle, TaskScope } from '../../domain.js';
import { PortRateLimitError, type Written } from '../../port.js';
import { UploadRefusedError, type MediaSink, type ReadyFile } from '../../media/stage.js';
import type { CardView } from '../../render/view.js';
import { DiscordCardHandle } from './handles.js';
import type { PortRest } from './handles.js';

/** Discord's upload cap when the interaction did not say (docs/sources.md, "Discord uploads and modals"): 10 MiB. */
export const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;

/** What the sink uses of the port: its edit (which routes through token, channel or reply) with files. */
export interface DiscordEdits {
  edit(
    handle: CardHandle,
    view: CardView,
    scope: TaskScope,
    files?: readonly RawFile[],
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
 * requester gets one short follow-up that mentions only them.
 */
export class DiscordMediaSink implements MediaSink {
  constructor(
    private readonly edits: DiscordEdits,
    private readonly rest: PortRest,
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
    // discord.js's REST client takes whole buffers: this sink does not stream, so every file has its bytes.
    const raw: RawFile[] = files.flatMap((f) =>
      f.bytes ? [{ name: f.filename, data: f.bytes, contentType: f.contentType }] : [],
    );
    if (raw.length !== files.length) throw new UploadRefusedError('refused');
    let written: Written<CardHandle | undefined>;
    try {
      written = await this.edits.edit(handle, view, scope, raw);
    } catch (err) {
      if (err instanceof PortRateLimitError || files.length === 0) throw err;
      if (statusOf(err) === 413 || codeOf(err) === RESTJSONErrorCodes.RequestEntityTooLarge)
        throw new UploadRefusedError('too_large', undefined, { cause: err });
      if (codeOf(err) === RESTJSONErrorCodes.MissingPermissions)
        throw new UploadRefusedError('permission', 'Attach Files', { cause: err });
      throw err;
    }
    return written;
  }

  /** "@requester, your video is ready", as a follow-up to the card; only that user may be pinged. */
  async mention(handle: CardHandle, view: CardView): Promise<Written<void>> {
    const h = DiscordCardHandle.parse(handle);
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
