import { randomBytes } from 'node:crypto';
import { pollUntil } from '../poll-until.js';
import { FakeSlackFiles } from './files.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parse as parseQuery } from 'node:querystring';
import { z } from 'zod';
import {
  decodeBlocksParam,
  findButtons,
  isRecord,
  normalizeBlocks,
  validateBlocks,
  type FoundButton,
  type JsonObject,
} from './blocks.js';
import { signSlackRequest } from './signing.js';
import type {
  ButtonClickInput,
  CallRecord,
  DeliveryResult,
  EphemeralRecord,
  FakeSlack,
  FakeSlackOptions,
  MessageRecord,
  RateLimitOptions,
  RateLimitRecord,
  ResponseUrlRecord,
  SignatureMode,
  SlashCommandInput,
  SubmitViewInput,
  ViewSubmissionResult,
} from './types.js';
import { TRIGGER_LIFETIME_MS, viewErrors, viewInputs, type TriggerRecord, type ViewRecord } from './views.js';

export const DEFAULT_CHANNEL_LIMIT = { requests: 20, windowMs: 10_000 } as const;
/** Slack Tier 3 (chat.update): about 50 calls a minute per workspace. */
export const DEFAULT_WORKSPACE_UPDATE_LIMIT = { requests: 50, windowMs: 60_000 } as const;
/** chat.postMessage: "1 per second per channel, short bursts tolerated". */
export const DEFAULT_POST_MESSAGE_LIMIT = { perSecond: 1, burst: 3 } as const;
/** chat.postEphemeral is Tier 4: about 100 calls a minute per workspace. */
export const DEFAULT_EPHEMERAL_LIMIT = { requests: 100, windowMs: 60_000 } as const;
export const DEFAULT_RESPONSE_URL_USES = 5;
export const DEFAULT_RESPONSE_URL_LIFETIME_MS = 30 * 60 * 1000;
export const MAX_MESSAGE_TEXT = 40_000;
/** Slack shows the user an error if a command/interaction is not acknowledged within this. */
export const ACK_DEADLINE_MS = 3000;
/** Legacy "verification token" Slack puts in payloads (it is NOT the bot token). */
export const FAKE_VERIFICATION_TOKEN = 'fakeVerificationToken000';

const KNOWN_METHODS = new Set([
  'auth.test',
  'chat.postMessage',
  'chat.update',
  'chat.delete',
  'chat.postEphemeral',
  'chat.getPermalink',
  'conversations.info',
  'views.open',
  ...FakeSlackFiles.METHODS,
]);
const CHANNEL_LIMITED_METHODS = new Set(['chat.postMessage', 'chat.update']);
/** 429 reasons whose Retry-After covers the whole workspace rather than one channel. */
const WORKSPACE_REASONS = new Set<RateLimitRecord['reason']>(['workspace_limit', 'ephemeral_limit']);
const HONOR_TOLERANCE_MS = 5;
const MAX_BODY_BYTES = 8 * 1024 * 1024;

type Params = Record<string, unknown>;
type ApiResult = { status: number; body: JsonObject; headers?: Record<string, string> };

const jsonObjectSchema = z.record(z.string(), z.unknown());
const responseUrlBodySchema = z.looseObject({
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  text: z.string().optional(),
  blocks: z.unknown().optional(),
  replace_original: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  delete_original: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  thread_ts: z.string().optional(),
});

function ok(body: JsonObject = {}): ApiResult {
  return { status: 200, body: { ok: true, ...body } };
}
function fail(error: string, messages?: string[]): ApiResult {
  const body: JsonObject = { ok: false, error };
  if (messages !== undefined) body['response_metadata'] = { messages };
  return { status: 200, body };
}

function strParam(p: Params, key: string): string | undefined {
  const v = p[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function truthy(v: boolean | 'true' | 'false' | undefined): boolean {
  return v === true || v === 'true';
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

type ContentCheck =
  { ok: true; text: string | undefined; blocks: JsonObject[] | undefined } | { ok: false; result: ApiResult };

interface ForcedLimit {
  method: string;
  remaining: number;
  retryAfterSec: number;
  channel: string | undefined;
}

class FakeSlackServer implements FakeSlack {
  apiUrl = '';
  baseUrl = '';
  readonly messages: MessageRecord[] = [];
  /** Files uploaded through the external-upload flow (files.ts). */
  readonly files: FakeSlackFiles;
  readonly ephemerals: EphemeralRecord[] = [];
  readonly calls: CallRecord[] = [];
  readonly views: ViewRecord[] = [];
  private readonly triggers = new Map<string, TriggerRecord>();
  readonly rateLimits: RateLimitRecord[] = [];
  readonly responseUrls = new Map<string, ResponseUrlRecord>();

  private readonly server: Server;
  private botUrl: string | undefined;
  /** The last request delivered to the bot, exactly as sent, for replaying it (an attacker's copy). */
  private lastDelivery: { url: string; headers: Record<string, string>; rawBody: string } | undefined;
  private readonly channels = new Map<string, { teamId: string; domain: string }>();
  private readonly notInChannel: Set<string>;
  private channelLimit: { requests: number; windowMs: number } | null;
  private readonly channelWindows = new Map<string, number[]>();
  private readonly workspaceUpdateLimit: { requests: number; windowMs: number } | null;
  private readonly workspaceWindows = new Map<string, number[]>();
  private readonly postMessageLimit: { perSecond: number; burst: number } | null;
  private readonly postBuckets = new Map<string, { tokens: number; at: number }>();
  private readonly ephemeralLimit: { requests: number; windowMs: number } | null;
  private readonly ephemeralWindows = new Map<string, number[]>();
  /** method|channel or method|team:T → monotonic time until which a forced 429's Retry-After runs. */
  private readonly blocks = new Map<string, number>();
  private readonly forced: ForcedLimit[] = [];
  private readonly rateLimitMono = new WeakMap<RateLimitRecord, number>();
  /** response_url id → when it was made, on the fake's clock (`now`). */
  private readonly responseUrlMono = new Map<string, number>();
  private readonly now: () => number;
  private readonly responseUrlUses: number;
  private readonly responseUrlLifetimeMs: number;
  private readonly botUserId: string;
  private readonly botId: string;
  private readonly appId: string;
  private lastTsMicros = 0;
  private ephemeralSeq = 0;

  constructor(private readonly opts: FakeSlackOptions) {
    this.now = opts.now ?? (() => performance.now());
    for (const team of opts.teams) {
      const domain = team.domain ?? `team-${team.id.toLowerCase()}`;
      for (const ch of team.channels) this.channels.set(ch, { teamId: team.id, domain });
    }
    this.notInChannel = new Set(opts.notInChannel ?? []);
    for (const ch of this.notInChannel) {
      if (!this.channels.has(ch)) throw new Error(`notInChannel lists ${ch}, which is in no team's channels`);
    }
    this.channelLimit = opts.channelLimit === undefined ? { ...DEFAULT_CHANNEL_LIMIT } : opts.channelLimit;
    this.workspaceUpdateLimit =
      opts.workspaceUpdateLimit === undefined ? { ...DEFAULT_WORKSPACE_UPDATE_LIMIT } : opts.workspaceUpdateLimit;
    this.postMessageLimit =
      opts.postMessageLimit === undefined ? { ...DEFAULT_POST_MESSAGE_LIMIT } : opts.postMessageLimit;
    this.ephemeralLimit = opts.ephemeralLimit === undefined ? { ...DEFAULT_EPHEMERAL_LIMIT } : opts.ephemeralLimit;
    this.responseUrlUses = opts.responseUrlUses ?? DEFAULT_RESPONSE_URL_USES;
    this.responseUrlLifetimeMs = opts.responseUrlLifetimeMs ?? DEFAULT_RESPONSE_URL_LIFETIME_MS;
    this.botUserId = opts.botUserId ?? 'U0FAKEBOT';
    this.botId = opts.botId ?? 'B0FAKEBOT';
    this.appId = opts.appId ?? 'A0FAKEAPP';
    this.files = new FakeSlackFiles(
      {
        ...(opts.scopes ? { scopes: opts.scopes } : {}),
        ...(opts.maxFileBytes ? { maxFileBytes: opts.maxFileBytes } : {}),
        ...(opts.uploadUrlTtlMs ? { uploadUrlTtlMs: opts.uploadUrlTtlMs } : {}),
        ...(opts.uploadDeadlineMs ? { uploadDeadlineMs: opts.uploadDeadlineMs } : {}),
      },
      () => this.baseUrl,
      (channel) => this.checkChannel(channel, true)?.body['error'] as string | undefined,
      this.now,
    );
    this.server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`fake slack internal error: ${e instanceof Error ? e.message : String(e)}`);
        }
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/`;
    this.apiUrl = `${this.baseUrl}api/`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  setBotUrl(url: string): void {
    this.botUrl = url;
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  messagesIn(channel: string): MessageRecord[] {
    return this.messages.filter((m) => m.channel === channel && !m.deleted);
  }

  getMessage(channel: string, ts: string): MessageRecord | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  callsOf(method: string): CallRecord[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Polls `check` until it holds (a throw counts as not yet); `timeoutMs` counts running time only (see pollUntil). */
  waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
    let lastError: unknown;
    const attempt = (): T | undefined | false => {
      try {
        lastError = undefined;
        return check();
      } catch (e) {
        lastError = e;
        return undefined;
      }
    };
    return pollUntil(attempt, timeoutMs, () => {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      return new Error(`fake slack waitFor timed out after ${timeoutMs} ms${why}`);
    });
  }

  rateLimit(method: string, opts: RateLimitOptions): void {
    if (!Number.isInteger(opts.times) || opts.times < 1) throw new Error('rateLimit: times must be a positive integer');
    if (!Number.isInteger(opts.retryAfterSec) || opts.retryAfterSec < 0) {
      throw new Error('rateLimit: retryAfterSec must be a non-negative integer (Retry-After is whole seconds)');
    }
    this.forced.push({ method, remaining: opts.times, retryAfterSec: opts.retryAfterSec, channel: opts.channel });
  }

  setChannelLimit(limit: { requests: number; windowMs: number } | null): void {
    this.channelLimit = limit;
    this.channelWindows.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP routing

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // The external upload's URL: bytes are counted as they stream, never gathered as text.
    const uploadMatch = /^\/upload\/(F[0-9A-F]+)$/.exec(url.pathname);
    if (uploadMatch?.[1] !== undefined && req.method === 'POST') return this.files.receive(uploadMatch[1], req, res);
    const rawBody = await readBody(req);
    const headers = headerRecord(req);
    const apiMatch = /^\/api\/([A-Za-z0-9._]+)$/.exec(url.pathname);
    if (apiMatch?.[1] !== undefined && (req.method === 'POST' || req.method === 'GET')) {
      const bodyText = req.method === 'GET' ? url.search.replace(/^\?/, '') : rawBody;
      const contentType = req.method === 'GET' ? 'application/x-www-form-urlencoded' : (headers['content-type'] ?? '');
      const { params, result } = this.handleApi(apiMatch[1], contentType, bodyText, headers);
      this.calls.push({
        kind: 'api',
        method: apiMatch[1],
        path: url.pathname,
        at: Date.now(),
        headers,
        contentType: headers['content-type'] ?? '',
        rawBody,
        params,
        status: result.status,
        response: result.body,
      });
      res.writeHead(result.status, {
        'content-type': 'application/json; charset=utf-8',
        // Slack says on every answer which scopes the token has (the fake only when told them).
        ...(this.opts.scopes ? { 'x-oauth-scopes': this.opts.scopes.join(',') } : {}),
        ...result.headers,
      });
      res.end(JSON.stringify(result.body));
      return;
    }
    const respMatch = /^\/response\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (respMatch?.[1] !== undefined && req.method === 'POST') {
      const { params, result } = this.handleResponseUrl(respMatch[1], headers['content-type'] ?? '', rawBody);
      this.calls.push({
        kind: 'response_url',
        method: 'response_url',
        path: url.pathname,
        at: Date.now(),
        headers,
        contentType: headers['content-type'] ?? '',
        rawBody,
        params,
        status: result.status,
        response: result.body,
      });
      res.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(result.body));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }

  // ---------------------------------------------------------------------------------------------
  // Web API

  private parseParams(
    contentType: string,
    raw: string,
  ): { ok: true; params: Params; json: boolean } | { ok: false; error: string } {
    const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase();
    if (mime === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return { ok: false, error: 'invalid_json' };
      }
      const obj = jsonObjectSchema.safeParse(parsed);
      if (!obj.success) return { ok: false, error: 'invalid_json' };
      return { ok: true, params: obj.data, json: true };
    }
    if (mime === 'application/x-www-form-urlencoded' || mime === '') {
      const q = parseQuery(raw);
      const params: Params = {};
      for (const [k, v] of Object.entries(q)) {
        const first = Array.isArray(v) ? v[0] : v;
        if (first !== undefined) params[k] = first;
      }
      return { ok: true, params, json: false };
    }
    return { ok: false, error: 'invalid_form_data' };
  }

  private handleApi(
    method: string,
    contentType: string,
    raw: string,
    headers: Record<string, string>,
  ): { params: Params; result: ApiResult } {
    const parsed = this.parseParams(contentType, raw);
    if (!parsed.ok) return { params: {}, result: fail(parsed.error) };
    const { params, json } = parsed;
    if (!KNOWN_METHODS.has(method)) return { params, result: fail('unknown_method') };

    // Authentication: Bearer header, or a `token` form field (Slack ignores `token` in JSON bodies).
    let token: string | undefined;
    const authz = headers['authorization'];
    if (authz !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/.exec(authz);
      token = m?.[1] ?? '';
    } else if (!json) {
      token = strParam(params, 'token');
    }
    if (token === undefined || token === '') return { params, result: fail('not_authed') };
    if (token !== this.opts.botToken) return { params, result: fail('invalid_auth') };

    const channel = strParam(params, 'channel');
    const limited = this.checkRateLimits(method, channel);
    if (limited) return { params, result: limited };

    switch (method) {
      case 'auth.test':
        return { params, result: this.authTest() };
      case 'chat.postMessage':
        return { params, result: this.postMessage(params) };
      case 'chat.update':
        return { params, result: this.update(params) };
      case 'chat.delete':
        return { params, result: this.deleteMessage(params) };
      case 'chat.postEphemeral':
        return { params, result: this.postEphemeral(params) };
      case 'chat.getPermalink':
        return { params, result: this.permalink(params) };
      case 'conversations.info':
        return { params, result: this.conversationsInfo(params) };
      case 'views.open':
        return { params, result: this.viewsOpen(params) };
      case 'files.getUploadURLExternal':
      case 'files.completeUploadExternal':
        return { params, result: this.files.handle(method, params) as ApiResult };
      default:
        return { params, result: fail('unknown_method') };
    }
  }

  private checkRateLimits(method: string, channel: string | undefined): ApiResult | undefined {
    const nowMono = this.now();
    const team = channel === undefined ? undefined : this.channels.get(channel)?.teamId;
    // Did the client wait for earlier 429s on this method/channel (or, for a workspace limit, workspace)?
    for (const r of this.rateLimits) {
      if (r.nextCallAt !== undefined || r.method !== method) continue;
      if (WORKSPACE_REASONS.has(r.reason) ? r.team !== team : r.channel !== channel) continue;
      const at = this.rateLimitMono.get(r) ?? nowMono;
      r.nextCallAt = Date.now();
      r.waitedMs = Math.round(nowMono - at);
      r.honored = nowMono - at >= r.retryAfterSec * 1000 - HONOR_TOLERANCE_MS;
    }
    // A 429 is a promise: calls before its Retry-After has passed are refused again (the client's fault).
    for (const key of [`${method}|${channel ?? ''}`, `${method}|team:${team ?? ''}`]) {
      const until = this.blocks.get(key);
      if (until !== undefined && nowMono < until)
        return this.tooMany(method, channel, Math.max(1, Math.ceil((until - nowMono) / 1000)), 'blocked', nowMono);
    }
    const forced = this.forced.find(
      (f) => f.method === method && f.remaining > 0 && (f.channel === undefined || f.channel === channel),
    );
    if (forced) {
      forced.remaining -= 1;
      this.blocks.set(
        forced.channel !== undefined ? `${method}|${channel ?? ''}` : `${method}|team:${team ?? ''}`,
        nowMono + forced.retryAfterSec * 1000,
      );
      return this.tooMany(method, channel, forced.retryAfterSec, 'forced', nowMono);
    }
    const known = channel !== undefined && this.channels.has(channel);
    const windows: Array<{
      map: Map<string, number[]>;
      key: string;
      limit: { requests: number; windowMs: number };
      reason: RateLimitRecord['reason'];
    }> = [];
    if (this.channelLimit && channel !== undefined && CHANNEL_LIMITED_METHODS.has(method) && known) {
      windows.push({ map: this.channelWindows, key: channel, limit: this.channelLimit, reason: 'channel_limit' });
    }
    if (this.workspaceUpdateLimit && team !== undefined && method === 'chat.update') {
      windows.push({
        map: this.workspaceWindows,
        key: team,
        limit: this.workspaceUpdateLimit,
        reason: 'workspace_limit',
      });
    }
    if (this.ephemeralLimit && team !== undefined && method === 'chat.postEphemeral') {
      windows.push({ map: this.ephemeralWindows, key: team, limit: this.ephemeralLimit, reason: 'ephemeral_limit' });
    }
    // chat.postMessage: about one a second per channel, a short burst tolerated (a token bucket).
    let post: { tokens: number; at: number } | undefined;
    if (this.postMessageLimit && method === 'chat.postMessage' && channel !== undefined && known) {
      const lim = this.postMessageLimit;
      const prev = this.postBuckets.get(channel) ?? { tokens: lim.burst, at: nowMono };
      post = { tokens: Math.min(lim.burst, prev.tokens + ((nowMono - prev.at) / 1000) * lim.perSecond), at: nowMono };
      this.postBuckets.set(channel, post);
      if (post.tokens < 1) {
        return this.tooMany(
          method,
          channel,
          Math.max(1, Math.ceil((1 - post.tokens) / lim.perSecond)),
          'post_limit',
          nowMono,
        );
      }
    }
    // A refused call uses up nothing; an accepted one counts in every window it belongs to.
    for (const w of windows) {
      const recent = (w.map.get(w.key) ?? []).filter((t) => nowMono - t < w.limit.windowMs);
      w.map.set(w.key, recent);
      if (recent.length >= w.limit.requests) {
        const oldest = recent[0] ?? nowMono;
        const retryAfterSec = Math.max(1, Math.ceil((oldest + w.limit.windowMs - nowMono) / 1000));
        return this.tooMany(method, channel, retryAfterSec, w.reason, nowMono);
      }
    }
    for (const w of windows) w.map.get(w.key)?.push(nowMono);
    if (post) post.tokens -= 1;
    return undefined;
  }

  private tooMany(
    method: string,
    channel: string | undefined,
    retryAfterSec: number,
    reason: RateLimitRecord['reason'],
    nowMono: number,
  ): ApiResult {
    const rec: RateLimitRecord = {
      method,
      channel,
      team: channel === undefined ? undefined : this.channels.get(channel)?.teamId,
      at: Date.now(),
      retryAfterSec,
      reason,
      forced: reason === 'forced',
      nextCallAt: undefined,
      waitedMs: undefined,
      honored: undefined,
    };
    this.rateLimits.push(rec);
    this.rateLimitMono.set(rec, nowMono);
    return {
      status: 429,
      body: { ok: false, error: 'ratelimited' },
      headers: { 'retry-after': String(retryAfterSec) },
    };
  }

  private authTest(): ApiResult {
    const team = this.opts.teams[0];
    const teamId = team?.id ?? 'T0FAKE';
    const domain = team?.domain ?? `team-${teamId.toLowerCase()}`;
    return ok({
      url: `https://${domain}.slack.com/`,
      team: domain,
      user: 'kling-bot',
      team_id: teamId,
      user_id: this.botUserId,
      bot_id: this.botId,
      is_enterprise_install: false,
    });
  }

  /** channel_not_found / not_in_channel, else undefined. */
  private checkChannel(channel: string | undefined, needMembership: boolean): ApiResult | undefined {
    if (channel === undefined || channel === '' || !this.channels.has(channel)) return fail('channel_not_found');
    if (needMembership && this.notInChannel.has(channel)) return fail('not_in_channel');
    return undefined;
  }

  /** text/blocks validation shared by postMessage/update/postEphemeral. */
  private checkContent(params: Params, requireContent: boolean): ContentCheck {
    const rawText = params['text'];
    if (rawText !== undefined && typeof rawText !== 'string' && typeof rawText !== 'number') {
      return { ok: false, result: fail('invalid_arguments', ['[ERROR] must be a string [json-pointer:/text]']) };
    }
    const text = rawText === undefined ? undefined : String(rawText);
    const decoded = decodeBlocksParam(params['blocks']);
    let blocks: JsonObject[] | undefined;
    if (decoded !== undefined) {
      if (!decoded.ok) {
        return {
          ok: false,
          result: fail('invalid_blocks_format', ['[ERROR] blocks is not valid JSON [json-pointer:/blocks]']),
        };
      }
      const check = validateBlocks(decoded.blocks);
      if (!check.ok) return { ok: false, result: fail(check.error, check.messages) };
      blocks = check.blocks;
    }
    const hasAttachments = params['attachments'] !== undefined && params['attachments'] !== '';
    const hasContent = (text !== undefined && text.trim() !== '') || (blocks?.length ?? 0) > 0 || hasAttachments;
    if (requireContent && !hasContent) return { ok: false, result: fail('no_text') };
    if (text !== undefined && text.length > MAX_MESSAGE_TEXT) return { ok: false, result: fail('msg_too_long') };
    return { ok: true, text, blocks };
  }

  private nextTs(): string {
    let micros = Date.now() * 1000;
    if (micros <= this.lastTsMicros) micros = this.lastTsMicros + 1;
    this.lastTsMicros = micros;
    const sec = Math.floor(micros / 1e6);
    return `${sec}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  private messageJson(m: MessageRecord): JsonObject {
    const out: JsonObject = {
      type: 'message',
      text: m.text,
      user: m.user,
      bot_id: this.botId,
      app_id: this.appId,
      ts: m.ts,
      team: this.channels.get(m.channel)?.teamId ?? '',
    };
    if (m.blocks !== undefined) out['blocks'] = normalizeBlocks(m.blocks, `${m.channel}/${m.ts}`);
    if (m.thread_ts !== undefined) out['thread_ts'] = m.thread_ts;
    if (m.edits.length > 0) {
      const last = m.edits[m.edits.length - 1];
      out['edited'] = { user: m.user, ts: String((last?.at ?? 0) / 1000) };
    }
    return out;
  }

  private postMessage(params: Params): ApiResult {
    const channel = strParam(params, 'channel');
    const chErr = this.checkChannel(channel, true);
    if (chErr || channel === undefined) return chErr ?? fail('channel_not_found');
    const content = this.checkContent(params, true);
    if (!content.ok) return content.result;
    // thread_ts is not checked: the parent may be a user's message the fake never saw.
    const threadTs = strParam(params, 'thread_ts');
    const rec = this.addMessage(channel, content.text ?? '', content.blocks, 'chat.postMessage', threadTs);
    return ok({ channel, ts: rec.ts, message: this.messageJson(rec) });
  }

  private addMessage(
    channel: string,
    text: string,
    blocks: JsonObject[] | undefined,
    via: MessageRecord['via'],
    threadTs: string | undefined,
  ): MessageRecord {
    const rec: MessageRecord = {
      channel,
      ts: this.nextTs(),
      text,
      blocks,
      user: this.botUserId,
      thread_ts: threadTs,
      postedAt: Date.now(),
      via,
      edits: [],
      deleted: false,
      deletedAt: undefined,
    };
    this.messages.push(rec);
    return rec;
  }

  private update(params: Params): ApiResult {
    const channel = strParam(params, 'channel');
    const chErr = this.checkChannel(channel, true);
    if (chErr || channel === undefined) return chErr ?? fail('channel_not_found');
    const ts = strParam(params, 'ts');
    const rec = ts === undefined ? undefined : this.getMessage(channel, ts);
    if (!rec || rec.deleted) return fail('message_not_found');
    const content = this.checkContent(params, false);
    if (!content.ok) return content.result;
    const blocksGiven = params['blocks'] !== undefined;
    if (content.text === undefined && !blocksGiven && params['attachments'] === undefined) return fail('no_text');
    // Slack keeps previous blocks when `blocks` is omitted ([] clears them), and previous text when `text` is omitted.
    const text = content.text ?? rec.text;
    const blocks = blocksGiven ? content.blocks : rec.blocks;
    if (text.trim() === '' && (blocks?.length ?? 0) === 0) return fail('no_text');
    rec.text = text;
    rec.blocks = blocks;
    rec.edits.push({ at: Date.now(), text: rec.text, blocks: rec.blocks, via: 'chat.update' });
    return ok({ channel, ts: rec.ts, text: rec.text, message: this.messageJson(rec) });
  }

  private deleteMessage(params: Params): ApiResult {
    const channel = strParam(params, 'channel');
    const chErr = this.checkChannel(channel, false);
    if (chErr || channel === undefined) return chErr ?? fail('channel_not_found');
    const ts = strParam(params, 'ts');
    const rec = ts === undefined ? undefined : this.getMessage(channel, ts);
    if (!rec || rec.deleted) return fail('message_not_found');
    rec.deleted = true;
    rec.deletedAt = Date.now();
    return ok({ channel, ts: rec.ts });
  }

  /** chat.getPermalink: `channel` and `message_ts` must name a message the fake holds, as on Slack. */
  private permalink(params: Params): ApiResult {
    const channel = strParam(params, 'channel');
    const chErr = this.checkChannel(channel, false);
    if (chErr || channel === undefined) return chErr ?? fail('channel_not_found');
    const ts = strParam(params, 'message_ts');
    if (ts === undefined || ts === '') return fail('invalid_arguments', ['[ERROR] missing required field: message_ts']);
    const rec = this.getMessage(channel, ts);
    if (!rec || rec.deleted) return fail('message_not_found');
    const domain = this.channels.get(channel)?.domain ?? '';
    return ok({ channel, permalink: `https://${domain}.slack.com/archives/${channel}/p${ts.replace('.', '')}` });
  }

  private postEphemeral(params: Params): ApiResult {
    const channel = strParam(params, 'channel');
    const chErr = this.checkChannel(channel, true);
    if (chErr || channel === undefined) return chErr ?? fail('channel_not_found');
    const user = strParam(params, 'user');
    if (user === undefined || user === '') {
      return fail('invalid_arguments', ['[ERROR] missing required field: user']);
    }
    if (!/^[UW][A-Z0-9]+$/.test(user)) return fail('user_not_found');
    const content = this.checkContent(params, true);
    if (!content.ok) return content.result;
    const rec = this.addEphemeral(channel, user, content.text ?? '', content.blocks, 'chat.postEphemeral', undefined);
    return ok({ message_ts: rec.ts });
  }

  private addEphemeral(
    channel: string,
    user: string,
    text: string,
    blocks: JsonObject[] | undefined,
    via: EphemeralRecord['via'],
    responseUrlId: string | undefined,
  ): EphemeralRecord {
    this.ephemeralSeq += 1;
    const rec: EphemeralRecord = {
      id: `eph${this.ephemeralSeq}`,
      ts: this.nextTs(),
      channel,
      user,
      text,
      blocks,
      at: Date.now(),
      via,
      responseUrlId,
      edits: [],
      deleted: false,
    };
    this.ephemerals.push(rec);
    return rec;
  }

  private conversationsInfo(params: Params): ApiResult {
    const channel = strParam(params, 'channel');
    const chErr = this.checkChannel(channel, false);
    if (chErr || channel === undefined) return chErr ?? fail('channel_not_found');
    const info = this.channels.get(channel);
    return ok({
      channel: {
        id: channel,
        name: channelName(channel),
        is_channel: true,
        is_group: false,
        is_im: false,
        // A channel the bot is not in and cannot post in (not_in_channel) is a private one: public
        // channels take posts from non-members through chat:write.public.
        is_private: this.notInChannel.has(channel),
        is_archived: false,
        is_member: !this.notInChannel.has(channel),
        context_team_id: info?.teamId ?? '',
      },
    });
  }

  // ---------------------------------------------------------------------------------------------
  // response_url

  private newResponseUrl(source: ResponseUrlRecord['source']): ResponseUrlRecord {
    const id = randomHex(12);
    const rec: ResponseUrlRecord = {
      id,
      url: `${this.baseUrl}response/${id}`,
      createdAt: Date.now(),
      uses: 0,
      rejected: 0,
      source,
    };
    this.responseUrls.set(id, rec);
    this.responseUrlMono.set(id, this.now());
    return rec;
  }

  private handleResponseUrl(id: string, contentType: string, raw: string): { params: Params; result: ApiResult } {
    const rec = this.responseUrls.get(id);
    if (!rec) return { params: {}, result: { status: 404, body: { ok: false, error: 'invalid_url' } } };
    if (this.now() - (this.responseUrlMono.get(id) ?? 0) > this.responseUrlLifetimeMs) {
      rec.rejected += 1;
      return { params: {}, result: { status: 404, body: { ok: false, error: 'expired_url' } } };
    }
    if (rec.uses >= this.responseUrlUses) {
      rec.rejected += 1;
      return { params: {}, result: { status: 404, body: { ok: false, error: 'used_url' } } };
    }
    const bad = (error: string, messages?: string[]): { params: Params; result: ApiResult } => {
      const body: JsonObject = { ok: false, error };
      if (messages) body['response_metadata'] = { messages };
      return { params: {}, result: { status: 400, body } };
    };
    const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase();
    if (mime !== 'application/json') return bad('invalid_payload', ['[ERROR] response_url expects application/json']);
    let parsedJson: unknown;
    try {
      parsedJson = JSON.parse(raw);
    } catch {
      return bad('invalid_payload');
    }
    const parsed = responseUrlBodySchema.safeParse(parsedJson);
    if (!parsed.success) return bad('invalid_payload', [`[ERROR] ${parsed.error.message}`]);
    const body = parsed.data;
    const params: Params = isRecord(parsedJson) ? parsedJson : {};
    const source = rec.source;
    const target = source.kind === 'click' ? source.target : ({ kind: 'none' } as const);

    if (truthy(body.delete_original)) {
      rec.uses += 1;
      if (target.kind === 'message') {
        const m = this.getMessage(target.channel, target.ts);
        if (m && !m.deleted) {
          m.deleted = true;
          m.deletedAt = Date.now();
        }
      } else if (target.kind === 'ephemeral') {
        const e = this.ephemerals.find((x) => x.id === target.id);
        if (e) e.deleted = true;
      }
      return { params, result: { status: 200, body: { ok: true } } };
    }

    const content = this.checkContent(params, true);
    if (!content.ok) return { params, result: { ...content.result, status: 400 } };
    rec.uses += 1;
    const text = content.text ?? '';
    const now = Date.now();

    if (truthy(body.replace_original) && target.kind === 'message') {
      const m = this.getMessage(target.channel, target.ts);
      if (!m || m.deleted) return { params, result: { status: 404, body: { ok: false, error: 'message_not_found' } } };
      m.text = text;
      m.blocks = content.blocks;
      m.edits.push({ at: now, text, blocks: content.blocks, via: 'response_url' });
      return { params, result: { status: 200, body: { ok: true } } };
    }
    if (truthy(body.replace_original) && target.kind === 'ephemeral') {
      const e = this.ephemerals.find((x) => x.id === target.id);
      if (!e || e.deleted) return { params, result: { status: 404, body: { ok: false, error: 'message_not_found' } } };
      e.text = text;
      e.blocks = content.blocks;
      e.edits.push({ at: now, text, blocks: content.blocks, via: 'response_url' });
      return { params, result: { status: 200, body: { ok: true } } };
    }
    if (body.response_type === 'in_channel') {
      this.addMessage(source.channel, text, content.blocks, 'response_url', body.thread_ts);
    } else {
      this.addEphemeral(source.channel, source.user, text, content.blocks, 'response_url', id);
    }
    return { params, result: { status: 200, body: { ok: true } } };
  }

  // ---------------------------------------------------------------------------------------------
  // Driver: requests TO the bot

  private teamOf(teamId: string, channelId: string): { domain: string } {
    const team = this.opts.teams.find((t) => t.id === teamId);
    if (!team) throw new Error(`fake slack: unknown team ${teamId}`);
    if (!team.channels.includes(channelId))
      throw new Error(`fake slack: channel ${channelId} is not in team ${teamId}`);
    return { domain: team.domain ?? `team-${teamId.toLowerCase()}` };
  }

  /** A trigger id for one interaction: views.open takes it once, within 3 s. */
  private triggerId(teamId: string, userId: string): string {
    const id = `${Date.now()}.${Math.floor(Math.random() * 1e12)}.${randomHex(16)}`;
    this.triggers.set(id, { issuedAt: this.now(), teamId, userId, used: false });
    return id;
  }

  private viewsOpen(params: Params): ApiResult {
    const triggerId = strParam(params, 'trigger_id');
    let view: unknown = params['view'];
    if (typeof view === 'string') {
      try {
        view = JSON.parse(view);
      } catch {
        return fail('invalid_arguments', ['[ERROR] view is not valid JSON [json-pointer:/view]']);
      }
    }
    if (triggerId === undefined) return fail('invalid_arguments', ['[ERROR] missing required field: trigger_id']);
    const trigger = this.triggers.get(triggerId);
    if (!trigger) return fail('invalid_trigger_id');
    if (trigger.used) return fail('exchanged_trigger_id');
    if (this.now() - trigger.issuedAt > (this.opts.triggerLifetimeMs ?? TRIGGER_LIFETIME_MS))
      return fail('expired_trigger_id');
    const errors = viewErrors(view);
    if (errors.length > 0) return fail('invalid_arguments', errors);
    trigger.used = true;
    const id = `V${randomHex(5).toUpperCase()}`;
    const rec: ViewRecord = {
      id,
      teamId: trigger.teamId,
      userId: trigger.userId,
      view: view as JsonObject,
      openedAt: Date.now(),
      closed: false,
    };
    this.views.push(rec);
    return ok({ view: { ...this.viewJson(rec), state: { values: {} } } });
  }

  private viewJson(rec: ViewRecord): JsonObject {
    return {
      id: rec.id,
      team_id: rec.teamId,
      type: 'modal',
      callback_id: '',
      private_metadata: '',
      ...rec.view,
      hash: `${Math.floor(rec.openedAt / 1000)}.${randomHex(4)}`,
      root_view_id: rec.id,
      app_id: this.appId,
      bot_id: 'BFAKE',
    };
  }

  /**
   * The user presses the modal's submit button: a signed `view_submission` with each input's value,
   * after the checks Slack's client makes (required inputs filled, lengths within the element's).
   */
  async submitView(input: SubmitViewInput): Promise<ViewSubmissionResult> {
    const rec = this.views.find((v) => v.id === input.viewId);
    if (!rec) throw new Error(`fake slack: no open view ${input.viewId}`);
    if (rec.closed) throw new Error(`fake slack: view ${input.viewId} was already submitted`);
    const userId = input.userId ?? rec.userId;
    if (userId !== rec.userId) throw new Error(`fake slack: view ${rec.id} is open for ${rec.userId}, not ${userId}`);
    const inputs = viewInputs(rec.view);
    for (const blockId of Object.keys(input.values))
      if (!inputs.has(blockId)) throw new Error(`fake slack: view ${rec.id} has no input block ${blockId}`);
    const values: JsonObject = {};
    for (const [blockId, rule] of inputs) {
      const value = input.values[blockId] ?? '';
      if (!rule.optional && value === '') throw new Error(`fake slack: ${blockId} is required: Slack will not submit`);
      if (value !== '' && (value.length < rule.min || value.length > rule.max))
        throw new Error(`fake slack: ${blockId} must be ${rule.min}-${rule.max} characters: Slack will not submit`);
      values[blockId] = { [rule.actionId]: { type: 'plain_text_input', value: value === '' ? null : value } };
    }
    rec.closed = true;
    const domain = this.opts.teams.find((t) => t.id === rec.teamId)?.domain ?? `team-${rec.teamId.toLowerCase()}`;
    const userName = defaultUserName(userId);
    const payload: JsonObject = {
      type: 'view_submission',
      team: { id: rec.teamId, domain },
      user: { id: userId, username: userName, name: userName, team_id: rec.teamId },
      api_app_id: this.appId,
      token: FAKE_VERIFICATION_TOKEN,
      trigger_id: this.triggerId(rec.teamId, userId),
      view: { ...this.viewJson(rec), state: { values } },
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    const form = new URLSearchParams();
    form.set('payload', JSON.stringify(payload));
    const rawBody = form.toString();
    const r = await this.deliver(rawBody, input.signature ?? 'valid', 0);
    return { ...r, rawBody };
  }

  private async deliver(
    rawBody: string,
    signature: SignatureMode,
    offsetSec: number,
  ): Promise<{ status: number; body: string; ackMs: number; timedOut: boolean }> {
    const url = this.botUrl;
    if (url === undefined) throw new Error('fake slack: setBotUrl() first');
    const ts = Math.floor(Date.now() / 1000) + offsetSec;
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      accept: 'application/json,*/*',
    };
    if (signature !== 'missing') {
      const secret = signature === 'bad' ? `${this.opts.signingSecret}-wrong` : this.opts.signingSecret;
      headers['x-slack-request-timestamp'] = String(ts);
      headers['x-slack-signature'] = signSlackRequest(secret, ts, rawBody);
    }
    this.lastDelivery = { url, headers, rawBody };
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers, body: rawBody, signal: AbortSignal.timeout(15_000) });
    const ackMs = performance.now() - t0;
    const body = await res.text();
    return { status: res.status, body, ackMs: Math.round(ackMs * 10) / 10, timedOut: ackMs > ACK_DEADLINE_MS };
  }

  /** Sends the last delivery again with the same headers (signature, timestamp), its body optionally changed. */
  async resendLast(changeBody: (raw: string) => string = (raw) => raw): Promise<{ status: number }> {
    const last = this.lastDelivery;
    if (!last) throw new Error('fake slack: nothing delivered yet');
    const res = await fetch(last.url, {
      method: 'POST',
      headers: last.headers,
      body: changeBody(last.rawBody),
      signal: AbortSignal.timeout(15_000),
    });
    await res.text();
    return { status: res.status };
  }

  async sendCommand(input: SlashCommandInput): Promise<DeliveryResult> {
    if (!input.command.startsWith('/')) throw new Error('fake slack: command must start with "/"');
    const { domain } = this.teamOf(input.teamId, input.channelId);
    const ru = this.newResponseUrl({
      kind: 'command',
      teamId: input.teamId,
      channel: input.channelId,
      user: input.userId,
    });
    // Field order as Slack sends it.
    const form = new URLSearchParams();
    form.set('token', FAKE_VERIFICATION_TOKEN);
    form.set('team_id', input.teamId);
    form.set('team_domain', domain);
    form.set('channel_id', input.channelId);
    form.set('channel_name', channelName(input.channelId));
    form.set('user_id', input.userId);
    form.set('user_name', input.userName ?? defaultUserName(input.userId));
    form.set('command', input.command);
    form.set('text', input.text);
    form.set('api_app_id', this.appId);
    form.set('is_enterprise_install', 'false');
    form.set('response_url', ru.url);
    form.set('trigger_id', this.triggerId(input.teamId, input.userId));
    const rawBody = form.toString();
    const r = await this.deliver(rawBody, input.signature ?? 'valid', input.timestampOffsetSec ?? 0);
    return { ...r, responseUrl: ru.url, responseUrlId: ru.id, rawBody };
  }

  private pickButton(blocks: JsonObject[], seed: string, input: ButtonClickInput, where: string): FoundButton {
    const buttons = findButtons(normalizeBlocks(blocks, seed)).filter(
      (b) => b.actionId === input.actionId && (input.blockId === undefined || b.blockId === input.blockId),
    );
    const button = buttons[0];
    if (!button) {
      throw new Error(`fake slack: ${where} has no button with action_id ${input.actionId}`);
    }
    return button;
  }

  async clickButton(input: ButtonClickInput): Promise<DeliveryResult> {
    const { domain } = this.teamOf(input.teamId, input.channelId);
    const channel = input.channelId;
    let containerTs: string;
    let isEphemeral = false;
    let messageJson: JsonObject | undefined;
    let target: Extract<ResponseUrlRecord['source'], { kind: 'click' }>['target'] = { kind: 'none' };
    let button: FoundButton | undefined;

    if (input.ephemeral !== undefined) {
      isEphemeral = true;
      const sel = input.ephemeral;
      const candidates = this.ephemerals.filter((e) => e.channel === channel && !e.deleted);
      let eph: EphemeralRecord | undefined;
      if (sel.ts !== undefined) eph = candidates.find((e) => e.ts === sel.ts);
      else if (sel.responseUrlId !== undefined) {
        eph = candidates.filter((e) => e.responseUrlId === sel.responseUrlId).pop();
      } else {
        eph = candidates
          .filter(
            (e) =>
              e.user === input.userId &&
              findButtons(normalizeBlocks(e.blocks ?? [], e.id)).some((b) => b.actionId === input.actionId),
          )
          .pop();
      }
      if (!eph) throw new Error(`fake slack: no matching ephemeral message in ${channel} to click`);
      if (eph.user !== input.userId) {
        throw new Error(`fake slack: ephemeral ${eph.ts} is visible only to ${eph.user}, not ${input.userId}`);
      }
      button = this.pickButton(eph.blocks ?? [], eph.id, input, `ephemeral ${eph.ts}`);
      containerTs = eph.ts;
      target = { kind: 'ephemeral', id: eph.id };
    } else if (input.messageTs !== undefined) {
      const m = this.getMessage(channel, input.messageTs);
      if (!m || m.deleted) throw new Error(`fake slack: no message ${input.messageTs} in ${channel} to click`);
      button = this.pickButton(m.blocks ?? [], `${m.channel}/${m.ts}`, input, `message ${m.ts}`);
      containerTs = m.ts;
      messageJson = this.messageJson(m);
      target = { kind: 'message', channel, ts: m.ts };
    } else {
      containerTs = this.nextTs();
    }

    const ru = this.newResponseUrl({ kind: 'click', teamId: input.teamId, channel, user: input.userId, target });
    const userName = input.userName ?? defaultUserName(input.userId);
    const action: JsonObject = {
      action_id: input.actionId,
      block_id: input.blockId ?? button?.blockId ?? 'fakeblk',
      text: { type: 'plain_text', text: button?.text ?? input.actionId, emoji: true },
      type: 'button',
      action_ts: this.nextTs(),
    };
    const value = input.value ?? button?.value;
    if (value !== undefined) action['value'] = value;
    if (button?.style !== undefined) action['style'] = button.style;
    if (button?.url !== undefined) action['url'] = button.url;

    const payload: JsonObject = {
      type: 'block_actions',
      user: { id: input.userId, username: userName, name: userName, team_id: input.teamId },
      api_app_id: this.appId,
      token: FAKE_VERIFICATION_TOKEN,
      container: { type: 'message', message_ts: containerTs, channel_id: channel, is_ephemeral: isEphemeral },
      trigger_id: this.triggerId(input.teamId, input.userId),
      team: { id: input.teamId, domain },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: channel, name: channelName(channel) },
      state: { values: {} },
      response_url: ru.url,
      actions: [action],
    };
    if (messageJson !== undefined) payload['message'] = messageJson;
    const form = new URLSearchParams();
    form.set('payload', JSON.stringify(payload));
    const rawBody = form.toString();
    const r = await this.deliver(rawBody, input.signature ?? 'valid', input.timestampOffsetSec ?? 0);
    return { ...r, responseUrl: ru.url, responseUrlId: ru.id, rawBody };
  }
}

function channelName(id: string): string {
  return `channel-${id.toLowerCase()}`;
}

function defaultUserName(userId: string): string {
  return `user-${userId.toLowerCase()}`;
}

export async function startFakeSlack(opts: FakeSlackOptions): Promise<FakeSlack> {
  const fake = new FakeSlackServer(opts);
  await fake.listen();
  return fake;
}
