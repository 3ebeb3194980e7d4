import type { FakeSlackFiles } from './files.js';
import type { Json, JsonObject } from './blocks.js';
import type { ViewRecord } from './views.js';

export interface FakeSlackOptions {
  /** How long a trigger id opens a view (Slack: 3 s). */
  triggerLifetimeMs?: number;
  /**
   * The clock (ms, never going back) the fake's rate limits, response_url and trigger lifetimes run on; default
   * performance.now. A test that would wait one of them out moves its own clock on instead.
   */
  now?: () => number;
  /** The only bot token the Web API accepts (`Authorization: Bearer …` or a `token` form field). */
  botToken: string;
  /** Used to sign requests sent to the bot. */
  signingSecret: string;
  /** Workspaces and the channel ids that exist in each. */
  teams: { id: string; domain?: string; channels: string[] }[];
  /** Channels that exist but the bot is not a member of: chat.postMessage/update/postEphemeral → not_in_channel. */
  notInChannel?: string[];
  /**
   * Always-on sliding-window limit per channel, shared by chat.postMessage + chat.update.
   * Default {requests: 20, windowMs: 10_000}; null disables it.
   */
  channelLimit?: { requests: number; windowMs: number } | null;
  /**
   * Always-on sliding-window limit per workspace on chat.update (Slack Tier 3: about 50 a minute).
   * Default {requests: 50, windowMs: 60_000}; null disables it.
   */
  workspaceUpdateLimit?: { requests: number; windowMs: number } | null;
  /**
   * chat.postMessage per channel: a token bucket (Slack: "1 per second per channel, short bursts
   * tolerated"). Default {perSecond: 1, burst: 3}; null disables it.
   */
  postMessageLimit?: { perSecond: number; burst: number } | null;
  /**
   * chat.postEphemeral per workspace (Slack Tier 4: about 100 a minute). Default {requests: 100, windowMs: 60_000};
   * null disables it.
   */
  ephemeralLimit?: { requests: number; windowMs: number } | null;
  /** Successful uses allowed per response_url. Default 5 (Slack's documented limit). */
  responseUrlUses?: number;
  /** Lifetime of a response_url. Default 30 minutes (Slack's documented limit). */
  responseUrlLifetimeMs?: number;
  /** Identity returned by auth.test and stamped on bot messages. */
  botUserId?: string;
  botId?: string;
  appId?: string;
  /** Port for the fake to listen on (127.0.0.1). Default 0 = ephemeral. */
  port?: number;
  /**
   * The bot token's scopes (sent as x-oauth-scopes; files.* need files:write). Default commands, chat:write,
   * files:write.
   */
  scopes?: string[];
  /** Per-file cap of files.getUploadURLExternal (Slack: 1 GB). */
  maxFileBytes?: number;
  /** An upload URL takes its POST within this of being handed out (default 60 s). */
  uploadUrlTtlMs?: number;
  /** One POST to an upload URL delivers its body within this (default 30 s). */
  uploadDeadlineMs?: number;
}

export type SignatureMode = 'valid' | 'bad' | 'missing';

export interface DeliveryResult {
  /** HTTP status of the bot's response. */
  status: number;
  /** Body of the bot's response (text). */
  body: string;
  /** Milliseconds from sending the request until the bot's response (headers + body) arrived. */
  ackMs: number;
  /** ackMs > 3000: real Slack would already have shown the user "operation_timeout". */
  timedOut: boolean;
  /** The response_url handed to the bot in this request. */
  responseUrl: string;
  responseUrlId: string;
  /** Exactly what was POSTed (form-encoded). */
  rawBody: string;
}

/** The user submits an open modal: values by input block_id (Slack's client checks required and lengths). */
export interface SubmitViewInput {
  viewId: string;
  values: Record<string, string>;
  /** Default: the user the view was opened for. */
  userId?: string;
  signature?: SignatureMode;
}

/** A view_submission has no response_url. */
export type ViewSubmissionResult = Omit<DeliveryResult, 'responseUrl' | 'responseUrlId'>;

export interface SlashCommandInput {
  teamId: string;
  channelId: string;
  userId: string;
  userName?: string;
  /** e.g. '/video' */
  command: string;
  text: string;
  signature?: SignatureMode;
  /** Added to the signing timestamp, e.g. -600 for a stale request. */
  timestampOffsetSec?: number;
}

export interface ButtonClickInput {
  teamId: string;
  channelId: string;
  userId: string;
  userName?: string;
  actionId: string;
  /** Overrides the button's value (default: the value of the button in the recorded message). */
  value?: string;
  /** Disambiguates buttons with the same action_id; default: the block the button is in. */
  blockId?: string;
  /** Click on a recorded channel message (must exist, not be deleted, and contain the button). */
  messageTs?: string;
  /**
   * Click on an ephemeral message (container.is_ephemeral = true, no `message` in the payload).
   * Which ephemeral: the latest one posted through response_url `responseUrlId`, or the one with
   * message_ts `ts`, else the latest one for this channel+user that has the button.
   */
  ephemeral?: { responseUrlId?: string; ts?: string };
  signature?: SignatureMode;
  timestampOffsetSec?: number;
}

export interface MessageEdit {
  at: number;
  text: string;
  blocks: JsonObject[] | undefined;
  via: 'chat.update' | 'response_url';
}

export interface MessageRecord {
  channel: string;
  ts: string;
  /** Current text / blocks (blocks as the client sent them, without Slack-generated ids). */
  text: string;
  blocks: JsonObject[] | undefined;
  /** Bot user id that posted it. */
  user: string;
  thread_ts: string | undefined;
  postedAt: number;
  via: 'chat.postMessage' | 'response_url';
  /** One entry per successful chat.update (or response_url replace_original). */
  edits: MessageEdit[];
  deleted: boolean;
  deletedAt: number | undefined;
}

export interface EphemeralRecord {
  /** Fake-internal id. */
  id: string;
  /** message_ts Slack reports for the ephemeral (not usable with chat.update). */
  ts: string;
  channel: string;
  /** The user who can see it. */
  user: string;
  text: string;
  blocks: JsonObject[] | undefined;
  at: number;
  via: 'chat.postEphemeral' | 'response_url';
  /** The response_url it was posted through (via === 'response_url'). */
  responseUrlId: string | undefined;
  edits: MessageEdit[];
  deleted: boolean;
}

export interface CallRecord {
  kind: 'api' | 'response_url';
  /** API method name, or 'response_url'. */
  method: string;
  path: string;
  at: number;
  /** Lower-cased request headers (including Authorization: a secret-leak assertion can look here). */
  headers: Record<string, string>;
  contentType: string;
  rawBody: string;
  /** Decoded arguments: form fields as strings, or the JSON body's top-level fields. */
  params: Record<string, unknown>;
  status: number;
  response: Json;
}

export interface RateLimitOptions {
  /** How many upcoming calls get a 429. */
  times: number;
  retryAfterSec: number;
  /** Only calls for this channel. */
  channel?: string;
}

export interface RateLimitRecord {
  method: string;
  channel: string | undefined;
  at: number;
  retryAfterSec: number;
  /**
   * forced: injected by rateLimit(); blocked: sent before an earlier forced 429's Retry-After had passed;
   * the others: a limit the client exceeded (post_limit: chat.postMessage per channel; ephemeral_limit:
   * chat.postEphemeral per workspace).
   */
  reason: 'forced' | 'blocked' | 'channel_limit' | 'post_limit' | 'workspace_limit' | 'ephemeral_limit';
  /** reason === 'forced'. Every other 429 is the client's doing, whether it waited afterwards or not. */
  forced: boolean;
  /** The workspace of the call's channel. */
  team: string | undefined;
  /** Set when the client next called the same method for the same channel (workspace_limit: in the same workspace). */
  nextCallAt: number | undefined;
  waitedMs: number | undefined;
  /** waitedMs >= retryAfterSec*1000 (5 ms tolerance for timer rounding); undefined until the next call. */
  honored: boolean | undefined;
}

export interface ResponseUrlRecord {
  id: string;
  url: string;
  createdAt: number;
  uses: number;
  /** Rejected attempts (used up / expired). */
  rejected: number;
  source:
    | { kind: 'command'; teamId: string; channel: string; user: string }
    | {
        kind: 'click';
        teamId: string;
        channel: string;
        user: string;
        target: { kind: 'message'; channel: string; ts: string } | { kind: 'ephemeral'; id: string } | { kind: 'none' };
      };
}

export interface FakeSlack {
  /** Slack's external upload flow (files.ts): what was announced, received and shared. */
  readonly files: FakeSlackFiles;
  apiUrl: string;
  /** http://127.0.0.1:PORT/ */
  baseUrl: string;
  close(): Promise<void>;
  setBotUrl(url: string): void;
  sendCommand(input: SlashCommandInput): Promise<DeliveryResult>;
  /** Re-sends the last delivery with its exact headers (a replay); `changeBody` tampers with the body. */
  resendLast(changeBody?: (raw: string) => string): Promise<{ status: number }>;
  clickButton(input: ButtonClickInput): Promise<DeliveryResult>;
  /** Submits a modal the bot opened with views.open. */
  submitView(input: SubmitViewInput): Promise<ViewSubmissionResult>;
  /** Modals opened with views.open (trigger ids are single use and live 3 s). */
  readonly views: readonly ViewRecord[];
  readonly messages: readonly MessageRecord[];
  readonly ephemerals: readonly EphemeralRecord[];
  readonly calls: readonly CallRecord[];
  readonly rateLimits: readonly RateLimitRecord[];
  readonly responseUrls: ReadonlyMap<string, ResponseUrlRecord>;
  /** Non-deleted messages in a channel, in posting order. */
  messagesIn(channel: string): MessageRecord[];
  getMessage(channel: string, ts: string): MessageRecord | undefined;
  /** API calls of one method. */
  callsOf(method: string): CallRecord[];
  /** Polls check() every 10 ms until it returns something other than undefined/false (throws are retried). */
  waitFor<T>(check: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  rateLimit(method: string, opts: RateLimitOptions): void;
  setChannelLimit(limit: { requests: number; windowMs: number } | null): void;
}
