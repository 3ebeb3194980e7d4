/** Public types of the fake Discord (driver API used by tests). */
import type { Json, JsonObject } from './json.js';

export interface FakeGuildOptions {
  id: string;
  name?: string;
  /** Text channel ids (type 0) that exist in the guild. */
  channels: string[];
  /** Extra role ids (besides @everyone, whose id is the guild id, and the bot's managed role). */
  roles?: string[];
}

export interface FakeDiscordOptions {
  botToken: string;
  applicationId: string;
  guilds: FakeGuildOptions[];
  /** Interaction token lifetime. Default 15 minutes. */
  tokenLifetimeMs?: number;
  /** Time allowed between dispatch and the interaction callback. Default 3000. */
  interactionDeadlineMs?: number;
  /**
   * Per-channel bucket shared by message create/edit on channel routes and interaction-webhook
   * creates/edits in that channel. Default {requests: 5, windowMs: 5000}; null (or Infinity requests) disables it.
   */
  channelEditLimit?: { requests: number; windowMs: number } | null;
  /** Limit applied to every other REST bucket (per route + major parameter). Default {requests: 50, windowMs: 1000}. */
  defaultRouteLimit?: { requests: number; windowMs: number } | null;
  /** Bot user id (default: derived snowflake) and name. */
  botUserId?: string;
  botUsername?: string;
  /** Port on 127.0.0.1 (default 0 = ephemeral). */
  port?: number;
  /** Gateway heartbeat interval sent in HELLO. Default 41250 (what Discord sends). */
  heartbeatIntervalMs?: number;
  /**
   * Privileged intents "enabled in the developer portal" (bitfield of GUILD_MEMBERS 1<<1,
   * GUILD_PRESENCES 1<<8, MESSAGE_CONTENT 1<<15). Identify asking for others → close 4014. Default 0.
   */
  privilegedIntents?: number;
  /**
   * sendCommand refuses commands that were not registered (globally or in that guild) via the REST API,
   * and validates the options against the registered definition — as the Discord client does. Default true.
   */
  requireRegisteredCommands?: boolean;
  /**
   * The application's *Public Bot* setting, as GET /applications/@me reports it (`bot_public`).
   * Default true: Discord makes every new application public.
   */
  botPublic?: boolean;
  /** attachment_size_limit in every interaction, and the per-file upload cap (413 / 40005 above it). Default 10 MiB. */
  attachmentSizeLimit?: number;
}

export interface FakeUser {
  id: string;
  username?: string;
  /** Role ids; each must exist in the guild. */
  roles?: string[];
  /** Member permission bitfield as a decimal string (default: computed from @everyone + roles). */
  permissions?: string;
}

export interface CommandOptionInput {
  name: string;
  /** 1 SUB_COMMAND, 2 SUB_COMMAND_GROUP, 3 string, 4 integer, 5 boolean, 10 number, 11 attachment … */
  type: number;
  value?: string | number | boolean;
  /** Nested options (for sub-commands / groups). */
  options?: CommandOptionInput[];
}

export interface AttachmentInput {
  id?: string;
  filename: string;
  contentType: string;
  size: number;
  width?: number;
  height?: number;
  /** Where the bot will download it from (e.g. a local HTTP server). Default: a cdn.discordapp.com URL. */
  url?: string;
  /** If no option references this attachment, add an option of type 11 with this name. */
  optionName?: string;
  /** Seconds until its signed link expires (the `ex` parameter); Discord's default is about a day. */
  expiresInS?: number;
}

export interface SendCommandInput {
  guildId: string;
  channelId: string;
  user: FakeUser;
  name: string;
  options?: CommandOptionInput[];
  attachments?: AttachmentInput[];
  locale?: string;
}

/** An APPLICATION_COMMAND_AUTOCOMPLETE (type 4): the user is typing into option `focused`. */
export interface SendAutocompleteInput {
  guildId: string;
  channelId: string;
  user: FakeUser;
  name: string;
  /** What the user has filled in so far (no attachments: Discord sends none while typing). */
  options?: CommandOptionInput[];
  /** The option being typed; its value is `typed` (partial input is always sent as a string). */
  focused: string;
  typed: string;
  locale?: string;
}

export interface ClickButtonInput {
  messageId: string;
  customId: string;
  user: FakeUser;
  guildId?: string;
  channelId?: string;
  locale?: string;
}

/** A user submits the modal an interaction was answered with (type 9); values by text input custom_id. */
export interface SubmitModalInput {
  /** The interaction whose answer was the modal. */
  interactionId: string;
  values: Record<string, string>;
  /** Default: the user the modal was shown to (nobody else sees it). */
  user?: FakeUser;
  locale?: string;
}

export type ResponseKind = 'callback' | 'edit' | 'followup' | 'delete';

export interface InteractionResponseRecord {
  at: number;
  kind: ResponseKind;
  /** '@original' or a message id for edits/deletes. */
  target?: string;
  /** Callback type for kind 'callback'. */
  callbackType?: number;
  status: number;
  ok: boolean;
  body: Json;
  /** Message created/edited/deleted by this response, if any. */
  messageId?: string;
  /** Discord error code when !ok. */
  errorCode?: number;
}

export interface InteractionRecord {
  id: string;
  token: string;
  /** 2 APPLICATION_COMMAND, 3 MESSAGE_COMPONENT, 4 APPLICATION_COMMAND_AUTOCOMPLETE, 5 MODAL_SUBMIT */
  type: number;
  commandName?: string;
  customId?: string;
  /** For component interactions: the clicked message. */
  messageId?: string;
  guildId: string;
  channelId: string;
  userId: string;
  dispatchedAt: number;
  ackedAt?: number;
  ackType?: number;
  ackLatencyMs?: number;
  ephemeral?: boolean;
  originalMessageId?: string;
  /** The modal this interaction was answered with (type 9), as sent. */
  modal?: JsonObject;
  /** The modal was submitted (a modal closes on submit: once). */
  modalSubmitted?: boolean;
  /** Autocomplete: the choices of the type-8 answer. */
  autocompleteChoices?: Array<{ name: string; value: string | number }>;
  /** Callback attempts that arrived after the deadline (each answered 10062). */
  lateCallbackAt: number[];
  responses: InteractionResponseRecord[];
  /** The INTERACTION_CREATE payload as dispatched. */
  payload: JsonObject;
}

export interface AttachmentRecord {
  id: string;
  filename: string;
  size: number;
  contentType: string | null;
  description?: string;
  url: string;
  proxyUrl: string;
  width?: number;
  height?: number;
}

export interface MessageEditRecord {
  at: number;
  via: 'webhook' | 'channel' | 'callback';
  body: Json;
}

export interface MessageRecord {
  id: string;
  channelId: string;
  guildId: string | null;
  /** Discord message type (0 DEFAULT, 19 REPLY, 20 CHAT_INPUT_COMMAND). */
  type: number;
  content: string;
  embeds: JsonObject[];
  components: JsonObject[];
  attachments: AttachmentRecord[];
  flags: number;
  tts: boolean;
  via: 'interaction' | 'webhook-followup' | 'channel';
  interactionId?: string;
  /** message_reference.message_id for replies. */
  replyTo?: string;
  nonce?: string | number;
  createdAt: number;
  editedAt: number | null;
  edits: MessageEditRecord[];
  deleted: boolean;
  deletedAt?: number;
  /** True while a deferred (type 5) response shows "thinking…". */
  loading: boolean;
}

export interface RequestRecord {
  at: number;
  method: string;
  /** Path without /api/v10 prefix and without query, e.g. /channels/1/messages */
  path: string;
  query: string;
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON body, or {payload_json, files:[…]} for multipart, or null. */
  body: Json;
  /** Raw text of the JSON body / payload_json (for secret-leak assertions). */
  rawBody: string;
  response: Json;
  /** The client dropped the request before its body was whole (nothing of it was used; no answer). */
  aborted?: true;
  /**
   * Set on every request that reached a channel's message bucket (bot-token message creates/edits,
   * interaction-webhook follow-ups, edits and deletes; not the interaction callback, which is exempt).
   */
  channelWrite?: ChannelWrite;
}

export interface ChannelWrite {
  channelId: string;
  /** Start of the bucket window it was counted in (as Discord counts: from the first write after a reset). */
  windowStart?: number;
  /**
   * Set when it was answered 429: `forced` by the test (rateLimitChannel), `unforced` when the bot exceeded what it was
   * told.
   */
  limited?: 'forced' | 'unforced';
  /** `limit`: the window was full; `blocked`: sent while an earlier 429's Retry-After was still running. */
  cause?: 'forced' | 'limit' | 'blocked';
}

export interface RateLimitRecord {
  at: number;
  /** e.g. 'PATCH /channels/:id/messages/:id' */
  route: string;
  method: string;
  path: string;
  channelId?: string;
  /** The client-visible bucket: X-RateLimit-Bucket hash + major parameter. */
  bucket: string;
  retryAfterMs: number;
  /** true if caused by rateLimitChannel(). A 429 that was not forced is the client's fault, waited out or not. */
  forced: boolean;
  /** forced: injected; limit: the window was full; blocked: sent before an earlier 429's Retry-After had passed. */
  cause: 'forced' | 'limit' | 'blocked';
  /**
   * Set when the next request to the same client-side bucket arrives: did it wait retryAfterMs? Says
   * only that a library waited; the 429 was still a 429 (see `forced`).
   */
  honored?: boolean;
  nextRequestAt?: number;
}

export interface CommandRegistration {
  at: number;
  guildId?: string;
  method: string;
  status: number;
  body: Json;
}

export interface GatewayLogEntry {
  at: number;
  dir: 'in' | 'out';
  connection: number;
  op: number;
  t?: string | null;
  s?: number | null;
}

export interface FakeDiscord {
  /** 'http://127.0.0.1:PORT/api' — pass as `rest: { api }`; discord.js appends /v10. */
  apiUrl: string;
  /** 'ws://127.0.0.1:PORT' — what GET /gateway/bot answers. */
  gatewayUrl: string;
  botUserId: string;
  applicationId: string;
  start(): Promise<void>;
  close(): Promise<void>;
  connected(): boolean;
  /** Number of successful gateway IDENTIFYs so far (a restarted bot increments it). */
  readonly identifies: number;
  waitForReady(timeoutMs?: number): Promise<void>;
  sendCommand(input: SendCommandInput): Promise<InteractionRecord>;
  clickButton(input: ClickButtonInput): Promise<InteractionRecord>;
  /** Submits the modal an interaction was answered with, as the Discord client does (its limits enforced). */
  submitModal(input: SubmitModalInput): Promise<InteractionRecord>;
  /** Types into an autocomplete option of a registered command; answered by a type-8 callback within the deadline. */
  sendAutocomplete(input: SendAutocompleteInput): Promise<InteractionRecord>;
  interactions: InteractionRecord[];
  messages: Map<string, MessageRecord>;
  requests: RequestRecord[];
  rateLimits: RateLimitRecord[];
  commandRegistrations: CommandRegistration[];
  gatewayLog: GatewayLogEntry[];
  rateLimitChannel(channelId: string, opts: { times: number; retryAfterMs: number }): void;
  commands(scope: { guildId?: string }): unknown[];
  waitFor<T>(check: () => T | undefined | false | null, timeoutMs?: number): Promise<T>;
  messagesIn(channelId: string): MessageRecord[];
  /** Delete a channel (CHANNEL_DELETE is dispatched; its messages are gone; channel routes → 10003). */
  deleteChannel(channelId: string): void;
  /** Deny the bot VIEW_CHANNEL there (CHANNEL_UPDATE with an overwrite; bot-token channel routes → 403 50001). */
  denyChannelAccess(channelId: string, deny?: boolean): void;
  /** Delete a message as a moderator would (MESSAGE_DELETE is dispatched; later edits → 10008). */
  deleteMessage(messageId: string): void;
  /** Close the bot's gateway connection(s) with a code (e.g. 4000 to make it resume, 1000 to make it re-identify). */
  disconnectBot(code?: number): void;
  /** The operator flips *Public Bot* in the developer portal. */
  setBotPublic(value: boolean): void;
}
