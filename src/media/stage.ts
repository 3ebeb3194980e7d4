import type { CardHandle, MediaCopy, TaskScope } from '../domain.js';
import type { Logger } from '../log.js';
import type { Written } from '../written.js';
import type { CardView } from '../render/view.js';
import { wantsCopies } from './copies.js';
import { DEFAULT_DOWNLOAD_LIMITS, download, type DownloadLimits } from './download.js';
import { resultFilename } from './filename.js';
import type { ResultStream } from './result-stream.js';
import { HeldTransfer } from './held-transfer.js';
import { TransferSlots, type TransferClaim } from './transfer-slots.js';

/**
 * A result on its way to the platform: whole in memory (`bytes`), or, for a sink that streams,
 * its download held open (`stream`, of announced `size`) until the upload reads it.
 */
export type ReadyFile = {
  /** Kling's link it came from. */
  url: string;
  filename: string;
  contentType: string;
  size: number;
} & ({ bytes: Buffer; stream?: undefined } | { bytes?: undefined; stream: ResultStream });

/** Thrown by a sink when the platform refused the upload itself (too large, no permission). */
export class UploadRefusedError extends Error {
  constructor(
    readonly reason: 'too_large' | 'permission' | 'refused',
    /** The permission or scope it lacks, for the admins' log line. */
    readonly permission?: string,
    options?: { cause?: unknown },
  ) {
    super(`upload refused: ${reason}${permission ? ` (${permission})` : ''}`, options);
    this.name = 'UploadRefusedError';
  }
}

/**
 * What the final write with the files showed: `shown` when the card shows another view than the one
 * asked for until a later write (Slack: "uploading" until the file is in the thread).
 */
export type AttachWritten = Written<CardHandle | undefined> & { shown?: CardView };

/** What a platform port offers for copies: its cap, and the final write that carries the files. */
export interface MediaSink {
  /** The largest file this card may carry, in bytes. */
  uploadLimit(handle: CardHandle): number;
  /** It reads files as streams of known length (Slack's upload URL, Discord's multipart body): none is held whole. */
  readonly streams?: boolean;
  /**
   * Shows `view` on the card with `files` uploaded on or under it (Discord: attachments of the
   * card; Slack: files in its thread), mentioning the requester once when `mention` is set.
   * Throws UploadRefusedError when the platform refuses the files; rate limits as the port does.
   */
  attach(
    handle: CardHandle,
    view: CardView,
    scope: TaskScope,
    files: readonly ReadyFile[],
    mention: boolean,
  ): Promise<AttachWritten>;
  /**
   * Where the final write itself cannot notify (a Discord edit never does): one short message that
   * mentions the requester and nobody else, sent through the outbox after the final.
   */
  mention?(handle: CardHandle, view: CardView, scope: TaskScope): Promise<Written<void>>;
}

/**
 * A card's copies, decided and downloaded; `release` once written (or dropped): its transfer frees, if its bytes
 * have not freed it already (HeldTransfer).
 */
export interface PreparedMedia {
  copies: MediaCopy[];
  files: ReadyFile[];
  /** The requester hears about it: the task finished just now, not a copy made after the fact. */
  mention: boolean;
  release(): void;
}

export interface MediaStageOptions {
  /** Transfers at once (MEDIA_CONCURRENCY). */
  concurrency: number;
  log: Logger;
  now?: () => number;
  limits?: Partial<Omit<DownloadLimits, 'maxBytes'>>;
}

/** Results finished longer ago than this get their copy without a mention (Refresh, rehost). */
const MENTION_WITHIN_MS = 60 * 60_000;
const MEDIA_LIFETIME_MS = 30 * 86_400_000;
/** A gallery shows 10 items; an /image task has at most 9 results. */
const MAX_FILES = 10;

/**
 * Downloads a finished card's results for the platform, at most `concurrency` transfers at a time.
 * A slot is held from the first byte until the card's files have moved (HeldTransfer): until the
 * upload has read a streamed file to its end, and until the card's write is done for a file read
 * whole. So the memory held is a few stream buffers times the concurrency where the sink streams
 * (both platforms, for a result of announced length), and at most the upload limit times the
 * concurrency for a result Kling sends without its length (read whole).
 */
export class MediaStage {
  private readonly slots: TransferSlots;
  private readonly now: () => number;
  private readonly limits: Omit<DownloadLimits, 'maxBytes'>;

  constructor(private readonly o: MediaStageOptions) {
    this.now = o.now ?? Date.now;
    this.limits = { ...DEFAULT_DOWNLOAD_LIMITS, ...o.limits };
    this.slots = new TransferSlots(Math.max(1, o.concurrency), this.now);
  }

  /** Transfers running now (for tests and metrics). */
  get inUse(): number {
    return this.slots.inUse;
  }

  /** A channel's window changed: a free transfer may go to one of its cards now. */
  reconsider(): void {
    this.slots.reconsider();
  }

  wants(view: CardView): boolean {
    return wantsCopies(view);
  }

  /**
   * Fetches the card's results once a transfer is free for it (`claim`: how soon its channel could
   * write them; by default at once); rejects with TransferWithdrawnError if the claim is withdrawn first.
   */
  async prepare(view: CardView, handle: CardHandle, sink: MediaSink, claim?: TransferClaim): Promise<PreparedMedia> {
    const release = await this.slots.acquire(claim);
    try {
      const maxBytes = sink.uploadLimit(handle);
      const items = view.media.slice(0, MAX_FILES);
      const copies: MediaCopy[] = [];
      const files: ReadyFile[] = [];
      for (const [index, m] of items.entries()) {
        const got = await download(m.url, { ...this.limits, maxBytes }, { stream: sink.streams === true });
        const at = this.now();
        if (got.kind === 'ok' || got.kind === 'stream') {
          const filename = resultFilename({
            prompt: view.prompt,
            taskId: view.taskId,
            index,
            count: items.length,
            kind: m.kind,
            contentType: got.contentType,
            url: m.url,
          });
          const contentType = got.contentType || (m.kind === 'video' ? 'video/mp4' : 'image/png');
          const body = got.kind === 'ok' ? { bytes: got.bytes } : { stream: got.stream };
          const size = got.kind === 'ok' ? got.bytes.length : got.stream.length;
          files.push({ url: m.url, filename, contentType, size, ...body });
          copies.push({ url: m.url, outcome: 'uploaded', filename, bytes: size, at });
        } else if (got.kind === 'too_large') {
          copies.push({
            url: m.url,
            outcome: 'too_large',
            ...(got.bytes ? { bytes: got.bytes } : {}),
            limit: maxBytes,
            at,
          });
        } else {
          if (got.kind === 'failed')
            this.o.log.warn(
              { taskId: view.taskId, reason: got.reason },
              'result download abandoned; the card keeps the link',
            );
          copies.push({ url: m.url, outcome: got.kind, at });
        }
      }
      const finishedAt = view.expiresAt !== undefined ? view.expiresAt - MEDIA_LIFETIME_MS : undefined;
      const mention = !view.copiesTried && finishedAt !== undefined && this.now() - finishedAt < MENTION_WITHIN_MS;
      // The transfer frees once the streamed files are read to their end (see HeldTransfer).
      const streamed = files.flatMap((f, i) => (f.stream ? [i] : []));
      const held = new HeldTransfer(release, streamed, streamed.length < files.length, () => this.slots.acquire());
      files.forEach((f, i) => f.stream?.heldBy(held.holdFor(i)));
      // Released (written, refused or dropped): a download still held open is closed.
      const done = () => {
        for (const f of files) f.stream?.drop();
        held.close();
      };
      return { copies, files, mention, release: done };
    } catch (err) {
      release();
      throw err;
    }
  }
}

/** After the platform refused the files: every upload becomes a failure (or too large), and the card says so. */
export function refusedCopies(copies: readonly MediaCopy[], err: UploadRefusedError, limit?: number): MediaCopy[] {
  return copies.map((c) =>
    c.outcome !== 'uploaded'
      ? c
      : err.reason === 'too_large'
        ? {
            url: c.url,
            outcome: 'too_large',
            ...(c.bytes ? { bytes: c.bytes } : {}),
            ...(limit ? { limit } : {}),
            at: c.at,
          }
        : { url: c.url, outcome: 'failed', at: c.at },
  );
}
