/** The REST API (/api/v10) of the fake Discord. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, Errors, Issues } from './errors.js';
import type { Gateway } from './gateway.js';
import { Intent } from './gateway.js';
import { isInt, isRecord, toJson, type Json, type JsonObject } from './json.js';
import { bucketHash, type Limit, type LimitCause, type RateLimiter } from './ratelimit.js';
import { modalIssues } from './modal.js';
import { snowflake } from './snowflake.js';
import type { InteractionState, UploadedFile, World } from './state.js';
import type {
  InteractionResponseRecord,
  MessageRecord,
  RateLimitRecord,
  RequestRecord,
  ResponseKind,
} from './types.js';
import { validateCommand, validateCommandList } from './validate-commands.js';
import { MessageFlag, parseMessageBody, type MessageInput } from './validate-message.js';

const MAX_REQUEST_BYTES = 30 * 1024 * 1024;
const CHANNEL_BUCKET = 'channel-messages';

export interface RestConfig {
  botToken: string;
  tokenLifetimeMs: number;
  interactionDeadlineMs: number;
  channelEditLimit: Limit | null;
  defaultRouteLimit: Limit | null;
  gatewayUrl: () => string;
}

interface Reply {
  status: number;
  body?: Json;
}

interface Ctx {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  params: string[];
  json: unknown;
  files: UploadedFile[];
  now: number;
  route: RouteDef;
  clientBucket: string;
  rlHeaders: Record<string, string>;
  /** Set once the request is known to write in a channel (channel-bucket routes). */
  channelId?: string;
  /** What the channel bucket said about this request, once it was asked. */
  channelTake?: { windowStart?: number; cause?: LimitCause };
}

type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

interface RouteDef {
  method: string;
  /** e.g. 'PATCH /channels/:id/messages/:id' */
  name: string;
  re: RegExp;
  auth: boolean;
  /** 'channel': the handler takes from the per-channel message bucket; 'generic': checked before the handler. */
  limit: 'channel' | 'generic' | 'none';
  bucket: string;
  handler: Handler;
}

function majorParameter(path: string): string {
  const m = /(?:^\/webhooks\/(\d{17,19}\/[^/?]+))|(?:^\/(?:channels|guilds|webhooks)\/(\d{17,19}))/.exec(path);
  return m?.[2] ?? m?.[1] ?? 'global';
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** The whole body, or null past MAX_REQUEST_BYTES (events, not an async iterator: this runs for every request). */
/** The client dropped the request mid-body (a cut-off upload): nothing of it counts, and nobody reads an answer. */
class BodyAborted extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer | string) => {
      if (size > MAX_REQUEST_BYTES) return;
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      size += buf.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(buf);
    });
    req.on('end', () => resolve(size > MAX_REQUEST_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', (e) => reject(req.complete ? e : new BodyAborted(e.message)));
    req.on('aborted', () => reject(new BodyAborted('aborted')));
  });
}

export class Rest {
  private readonly routes: RouteDef[] = [];

  constructor(
    private readonly world: World,
    private readonly gateway: Gateway,
    private readonly limiter: RateLimiter,
    private readonly cfg: RestConfig,
    private readonly requests: RequestRecord[],
    private readonly rateLimits: RateLimitRecord[],
  ) {
    this.defineRoutes();
  }

  // ---------- plumbing ----------

  private add(
    method: string,
    template: string,
    opts: { auth: boolean; limit: RouteDef['limit']; bucket?: string },
    handler: Handler,
  ): void {
    const re = new RegExp(
      `^${template.replace(/:(\w+)/g, (_m, n: string) => (n === 'mid' ? '(@original|\\d+)' : n === 'token' ? '([^/]+)' : n === 'emoji' ? '([^/]+)' : '(\\d+)'))}$`,
    );
    const name = `${method} ${template.replace(/:(\w+)/g, (_m, n: string) => (n === 'token' ? ':token' : n === 'emoji' ? ':emoji' : ':id'))}`;
    this.routes.push({ method, name, re, auth: opts.auth, limit: opts.limit, bucket: opts.bucket ?? name, handler });
  }

  /** The route for this method and path; 405 when only another method has it, else 404. */
  private match(method: string, path: string): { route: RouteDef; params: string[] } {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.re.exec(path);
      if (m) return { route, params: m.slice(1).map((p) => p ?? '') };
    }
    throw this.routes.some((r) => r.re.test(path)) ? Errors.methodNotAllowed() : Errors.notFound();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const now = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = headerRecord(req);
    const rawPath = url.pathname.startsWith('/api/v10/') ? url.pathname.slice('/api/v10'.length) : url.pathname;
    let path = rawPath;
    try {
      path = rawPath
        .split('/')
        .map((seg) => decodeURIComponent(seg))
        .join('/');
    } catch {
      // leave undecodable paths as they are; they will not match a route
    }
    const record: RequestRecord = {
      at: now,
      method,
      path,
      query: url.search,
      status: 0,
      headers,
      body: null,
      rawBody: '',
      response: null,
    };
    let status = 500;
    let body: Json | undefined;
    let outHeaders: Record<string, string> = {};
    try {
      const raw = await readBody(req);
      if (raw === null) throw Errors.tooLarge();
      if (!url.pathname.startsWith('/api/v10/')) throw Errors.notFound();
      const hit = this.match(method, path);
      const route = hit.route;
      const ctx: Ctx = {
        method,
        path,
        query: url.searchParams,
        headers,
        params: hit.params,
        json: undefined,
        files: [],
        now,
        route,
        clientBucket: `${bucketHash(route.bucket)}:${majorParameter(path)}`,
        rlHeaders: {},
      };
      try {
        if (route.auth && headers.authorization !== `Bot ${this.cfg.botToken}`) throw Errors.unauthorized();
        if (route.limit !== 'none') this.noteBucketVisit(ctx.clientBucket, now);
        if (route.limit === 'generic') {
          this.take(ctx, `${route.bucket}:${majorParameter(path)}`, this.cfg.defaultRouteLimit);
        }
        await this.parseBody(ctx, raw, record);
        const reply = await route.handler(ctx);
        status = reply.status;
        body = reply.body;
      } finally {
        if (route.limit === 'channel') this.noteChannelWrite(ctx, record);
        outHeaders = ctx.rlHeaders;
      }
    } catch (e) {
      if (e instanceof BodyAborted) {
        record.aborted = true;
        this.requests.push(record);
        res.destroy();
        return;
      }
      if (e instanceof ApiError) {
        status = e.status;
        body = e.body;
        outHeaders = { ...outHeaders, ...e.headers };
      } else {
        status = 500;
        body = { message: '500: Internal Server Error', code: 0 };
        console.error('[fake-discord] internal error', e);
      }
    }
    record.status = status;
    record.response = status === 204 ? null : (body ?? null);
    this.requests.push(record);
    const h: Record<string, string> = { ...outHeaders, Date: new Date().toUTCString() };
    if (status === 204 || body === undefined) {
      res.writeHead(status === 200 ? 204 : status, h);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...h,
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  private async parseBody(ctx: Ctx, raw: Buffer, record: RequestRecord): Promise<void> {
    if (raw.length === 0 || ctx.method === 'GET') return;
    const ct = ctx.headers['content-type'] ?? '';
    if (ct.startsWith('application/json')) {
      const text = raw.toString('utf8');
      record.rawBody = text;
      try {
        ctx.json = JSON.parse(text);
      } catch {
        throw Errors.invalidJson();
      }
      record.body = toJson(ctx.json);
      return;
    }
    if (ct.startsWith('multipart/form-data')) {
      let form: FormData;
      try {
        form = await new Request('http://localhost/', {
          method: 'POST',
          headers: { 'content-type': ct },
          body: raw,
        }).formData();
      } catch {
        throw Errors.invalidFormBody({
          _errors: [{ code: 'MULTIPART_PARSE', message: 'Could not parse multipart body' }],
        });
      }
      const files: UploadedFile[] = [];
      let payloadText = '';
      // https://discord.com/developers/docs/reference#uploading-files: every files[n] part carries a
      // Content-Disposition with a filename and a unique name; the JSON rides in payload_json.
      const parts = new Issues();
      const names = new Set<string>();
      for (const [field, value] of form.entries()) {
        const index = /^files\[(\d+)\]$/.exec(field)?.[1] ?? null;
        if (typeof value === 'string') {
          if (field === 'payload_json') payloadText = value;
          if (index !== null) parts.add([field], 'FILE_NAME_REQUIRED', 'A file part needs a filename.');
          continue;
        }
        if (field === 'payload_json') parts.add([field], 'BASE_TYPE_STRING', 'payload_json must be a text part.');
        if (names.has(field)) parts.add([field], 'FILE_NAME_DUPLICATE', `${field} is sent twice.`);
        names.add(field);
        if (!value.name) parts.add([field], 'FILE_NAME_REQUIRED', 'A file part needs a filename.');
        files.push({ field, index, filename: value.name, contentType: value.type, size: value.size });
      }
      if (!parts.ok) throw Errors.invalidFormBody(parts.toErrors());
      record.rawBody = payloadText;
      if (payloadText !== '') {
        try {
          ctx.json = JSON.parse(payloadText);
        } catch {
          throw Errors.invalidJson();
        }
      }
      ctx.files = files;
      record.body = {
        payload_json: toJson(ctx.json),
        files: files.map((f) => ({ field: f.field, filename: f.filename, contentType: f.contentType, size: f.size })),
      };
      return;
    }
    record.rawBody = raw.toString('utf8');
    record.body = record.rawBody;
  }

  /**
   * Every answer on a channel-bucket route carries the bucket's headers (also when it was refused before
   * the bucket was asked), and the request log says which channel it wrote in and what the bucket said.
   */
  private noteChannelWrite(ctx: Ctx, record: RequestRecord): void {
    const key =
      ctx.channelId !== undefined
        ? `${CHANNEL_BUCKET}:${ctx.channelId}`
        : `${ctx.route.bucket}:${majorParameter(ctx.path)}`;
    if (ctx.rlHeaders['X-RateLimit-Bucket'] === undefined) {
      ctx.rlHeaders = this.limiter.peek(
        key,
        bucketHash(ctx.route.bucket),
        ctx.channelId !== undefined ? this.cfg.channelEditLimit : null,
        ctx.now,
      );
    }
    if (ctx.channelId === undefined || ctx.channelTake === undefined) return;
    record.channelWrite = {
      channelId: ctx.channelId,
      ...(ctx.channelTake.windowStart !== undefined ? { windowStart: ctx.channelTake.windowStart } : {}),
      ...(ctx.channelTake.cause !== undefined
        ? { limited: ctx.channelTake.cause === 'forced' ? 'forced' : 'unforced', cause: ctx.channelTake.cause }
        : {}),
    };
  }

  private noteBucketVisit(clientBucket: string, now: number): void {
    for (const r of this.rateLimits) {
      if (r.bucket === clientBucket && r.honored === undefined) {
        r.honored = now >= r.at + r.retryAfterMs;
        r.nextRequestAt = now;
      }
    }
  }

  private take(ctx: Ctx, serverKey: string, limit: Limit | null, channelId?: string): void {
    const d = this.limiter.take(serverKey, bucketHash(ctx.route.bucket), limit, ctx.now);
    ctx.rlHeaders = d.headers;
    if (channelId !== undefined) {
      ctx.channelId = channelId;
      ctx.channelTake = d.ok
        ? { windowStart: d.windowStart }
        : { cause: d.cause, ...(d.windowStart !== undefined ? { windowStart: d.windowStart } : {}) };
    }
    if (d.ok) return;
    this.rateLimits.push({
      at: ctx.now,
      route: ctx.route.name,
      method: ctx.method,
      path: ctx.path,
      ...(channelId !== undefined ? { channelId } : {}),
      bucket: ctx.clientBucket,
      retryAfterMs: d.retryAfterMs,
      forced: d.cause === 'forced',
      cause: d.cause,
    });
    throw new ApiError(429, d.body, d.headers);
  }

  private takeChannel(ctx: Ctx, channelId: string): void {
    this.take(ctx, `${CHANNEL_BUCKET}:${channelId}`, this.cfg.channelEditLimit, channelId);
  }

  forceChannelLimit(channelId: string, times: number, retryAfterMs: number): void {
    this.limiter.force(`${CHANNEL_BUCKET}:${channelId}`, times, retryAfterMs);
  }

  // ---------- helpers ----------

  private messageReply(m: MessageRecord, status = 200): Reply {
    return { status, body: this.world.messageObject(m) };
  }

  private emitMessage(t: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', m: MessageRecord): void {
    if (m.flags & MessageFlag.Ephemeral || !m.guildId || !this.gateway.hasIntent(Intent.GuildMessages)) return;
    this.gateway.broadcast(m.guildId, Intent.GuildMessages, t, this.world.messageObject(m, { gateway: true }));
  }

  private emitDelete(m: MessageRecord): void {
    if (m.flags & MessageFlag.Ephemeral || !m.guildId) return;
    this.gateway.broadcast(m.guildId, Intent.GuildMessages, 'MESSAGE_DELETE', {
      id: m.id,
      channel_id: m.channelId,
      guild_id: m.guildId,
    });
  }

  private applyEdit(
    m: MessageRecord,
    ctx: Ctx,
    input: MessageInput,
    via: 'webhook' | 'channel' | 'callback',
    prefix: string[] = [],
  ): void {
    const next = this.world.resolveContent(m, input, ctx.files, 'edit', 0, prefix);
    const wasLoading = m.loading;
    Object.assign(m, next);
    m.loading = false;
    if (!wasLoading) m.editedAt = ctx.now;
    m.edits.push({ at: ctx.now, via, body: toJson(ctx.json ?? null) });
    this.emitMessage('MESSAGE_UPDATE', m);
  }

  private record(
    st: InteractionState,
    kind: ResponseKind,
    ctx: Ctx,
    run: () => Reply,
    extra: Partial<InteractionResponseRecord> = {},
  ): Reply {
    const entry: InteractionResponseRecord = {
      at: ctx.now,
      kind,
      status: 0,
      ok: false,
      body: toJson(ctx.json ?? null),
      ...extra,
    };
    st.record.responses.push(entry);
    try {
      const reply = run();
      entry.status = reply.status;
      entry.ok = true;
      if (kind === 'callback') {
        if (st.record.originalMessageId) entry.messageId = st.record.originalMessageId;
      } else if (isRecord(reply.body) && typeof reply.body.id === 'string') {
        entry.messageId = reply.body.id;
      }
      return reply;
    } catch (e) {
      if (e instanceof ApiError) {
        entry.status = e.status;
        if (typeof e.body.code === 'number') entry.errorCode = e.body.code;
      }
      throw e;
    }
  }

  private interactionMetadata(st: InteractionState, originalResponseId?: string): JsonObject {
    const rec = st.record;
    return {
      id: rec.id,
      type: rec.type,
      user: st.user,
      authorizing_integration_owners: { '0': rec.guildId },
      ...(st.kind === 'command' ? { name: st.commandName ?? '', command_type: 1 } : {}),
      ...(st.kind === 'component' && st.clickedMessageId ? { interacted_message_id: st.clickedMessageId } : {}),
      ...(originalResponseId ? { original_response_message_id: originalResponseId } : {}),
    };
  }

  private createInteractionMessage(
    st: InteractionState,
    ctx: Ctx,
    fields: Pick<MessageRecord, 'content' | 'embeds' | 'components' | 'attachments' | 'flags'>,
    via: 'interaction' | 'webhook-followup',
    loading: boolean,
    input?: MessageInput,
  ): MessageRecord {
    const rec = st.record;
    const isFollowup = via === 'webhook-followup';
    const m = this.world.createMessage(
      {
        ...fields,
        channelId: rec.channelId,
        guildId: rec.guildId,
        type: isFollowup ? 0 : st.kind === 'command' ? 20 : 0,
        tts: input?.tts ?? false,
        via,
        interactionId: rec.id,
        createdAt: ctx.now,
        loading,
        ...(input?.nonce !== undefined ? { nonce: input.nonce } : {}),
      },
      {
        author: this.world.botUser(),
        webhookId: this.world.applicationId,
        applicationId: this.world.applicationId,
        interactionMetadata: this.interactionMetadata(st, isFollowup ? rec.originalMessageId : undefined),
        ...(st.kind === 'command' && !isFollowup
          ? { interactionLegacy: { id: rec.id, type: rec.type, name: st.commandName ?? '', user: st.user } }
          : {}),
      },
    );
    // Discord announces the deferred "thinking…" placeholder too (flags LOADING), then updates it.
    this.emitMessage('MESSAGE_CREATE', m);
    return m;
  }

  private interactionForWebhook(app: string, token: string, now: number): InteractionState {
    if (app !== this.world.applicationId) throw Errors.unknownWebhook();
    const st = this.world.interactionByToken.get(token);
    if (!st) throw Errors.invalidWebhookToken();
    if (now > st.record.dispatchedAt + this.cfg.tokenLifetimeMs) throw Errors.invalidWebhookToken();
    if (!st.acked && now > st.record.dispatchedAt + this.cfg.interactionDeadlineMs) throw Errors.invalidWebhookToken();
    return st;
  }

  private webhookMessage(st: InteractionState, mid: string): MessageRecord {
    if (!st.acked) throw Errors.unknownMessage();
    const id = mid === '@original' ? st.record.originalMessageId : mid;
    if (!id) throw Errors.unknownMessage();
    if (mid !== '@original' && id !== st.record.originalMessageId && !st.followups.has(id))
      throw Errors.unknownMessage();
    const m = this.world.messages.get(id);
    if (!m || m.deleted) throw Errors.unknownMessage();
    return m;
  }

  private channel(cid: string): NonNullable<ReturnType<World['channels']['get']>> {
    const ch = this.world.channels.get(cid);
    if (!ch) throw Errors.unknownChannel();
    if (ch.denied) throw Errors.missingAccess();
    return ch;
  }

  private channelMessage(cid: string, mid: string): MessageRecord {
    const m = this.world.messages.get(mid);
    if (!m || m.deleted || m.channelId !== cid || m.flags & MessageFlag.Ephemeral) throw Errors.unknownMessage();
    return m;
  }

  private parse(body: unknown, mode: 'create' | 'edit', existingFlags: number, prefix: string[] = []): MessageInput {
    const issues = new Issues();
    const input = parseMessageBody(issues, body ?? {}, mode, existingFlags);
    issues.throwIfAny(prefix);
    return input;
  }

  // ---------- routes ----------

  private defineRoutes(): void {
    const bot = { auth: true, limit: 'generic' as const };
    const w = this.world;

    this.add('GET', '/gateway', { auth: false, limit: 'generic' }, () => ({
      status: 200,
      body: { url: this.cfg.gatewayUrl() },
    }));
    this.add('GET', '/gateway/bot', bot, () => ({
      status: 200,
      body: {
        url: this.cfg.gatewayUrl(),
        shards: 1,
        session_start_limit: {
          total: 1000,
          remaining: Math.max(0, 1000 - this.gateway.identifyCount),
          reset_after: 86_400_000,
          max_concurrency: 1,
        },
      },
    }));
    this.add('GET', '/users/@me', bot, () => ({ status: 200, body: w.botUser(true) }));
    this.add('GET', '/applications/@me', bot, () => ({ status: 200, body: this.applicationObject() }));
    this.add('GET', '/oauth2/applications/@me', bot, () => ({ status: 200, body: this.applicationObject() }));

    // --- commands ---
    const scopeOf = (ctx: Ctx): string => {
      const [app, gid] = ctx.params;
      if (app !== w.applicationId) throw Errors.notAuthorizedForApplication();
      if (gid !== undefined) {
        if (!w.guilds.has(gid)) throw Errors.unknownGuild();
        return gid;
      }
      return 'global';
    };
    const register = (ctx: Ctx, run: () => Reply): Reply => {
      const scope = ctx.params[1];
      const reg = {
        at: ctx.now,
        method: ctx.method,
        status: 0,
        body: toJson(ctx.json ?? null),
        ...(scope !== undefined ? { guildId: scope } : {}),
      };
      w.commandRegistrations.push(reg);
      try {
        const r = run();
        reg.status = r.status;
        return r;
      } catch (e) {
        if (e instanceof ApiError) reg.status = e.status;
        throw e;
      }
    };
    for (const base of ['/applications/:app/commands', '/applications/:app/guilds/:gid/commands']) {
      this.add('GET', base, bot, (ctx) => ({ status: 200, body: w.commands.get(scopeOf(ctx)) ?? [] }));
      this.add('PUT', base, bot, (ctx) =>
        register(ctx, () => {
          const scope = scopeOf(ctx);
          const issues = new Issues();
          const defs = validateCommandList(issues, ctx.json);
          issues.throwIfAny();
          return { status: 200, body: w.storeCommands(scope, defs, true) };
        }),
      );
      this.add('POST', base, bot, (ctx) =>
        register(ctx, () => {
          const scope = scopeOf(ctx);
          const issues = new Issues();
          const def = validateCommand(issues, [], ctx.json);
          issues.throwIfAny();
          if (!def) throw Errors.invalidFormBody({});
          const existed = (w.commands.get(scope) ?? []).some((c) => c.name === def.name && c.type === def.type);
          const [cmd] = w.storeCommands(scope, [def], false);
          return { status: existed ? 200 : 201, body: cmd ?? null };
        }),
      );
      const one = (ctx: Ctx): { scope: string; cmd: JsonObject } => {
        const scope = scopeOf(ctx);
        const id = ctx.params[ctx.params.length - 1];
        const cmd = (w.commands.get(scope) ?? []).find((c) => c.id === id);
        if (!cmd) throw Errors.unknownCommand();
        return { scope, cmd };
      };
      this.add('GET', `${base}/:cmd`, bot, (ctx) => ({ status: 200, body: one(ctx).cmd }));
      this.add('DELETE', `${base}/:cmd`, bot, (ctx) =>
        register(ctx, () => {
          const { scope, cmd } = one(ctx);
          w.commands.set(
            scope,
            (w.commands.get(scope) ?? []).filter((c) => c !== cmd),
          );
          return { status: 204 };
        }),
      );
      this.add('PATCH', `${base}/:cmd`, bot, (ctx) =>
        register(ctx, () => {
          const { scope, cmd } = one(ctx);
          const merged = { ...cmd, ...(isRecord(ctx.json) ? ctx.json : {}) };
          const issues = new Issues();
          const def = validateCommand(issues, [], merged);
          issues.throwIfAny();
          if (!def) throw Errors.invalidFormBody({});
          w.commands.set(
            scope,
            (w.commands.get(scope) ?? []).filter((c) => c !== cmd),
          );
          const [stored] = w.storeCommands(scope, [{ ...def, id: cmd.id ?? null }], false);
          if (stored) stored.id = cmd.id ?? stored.id ?? null;
          return { status: 200, body: stored ?? null };
        }),
      );
    }

    // --- guilds ---
    const guild = (gid: string | undefined): NonNullable<ReturnType<World['guilds']['get']>> => {
      const g = gid === undefined ? undefined : w.guilds.get(gid);
      if (!g) throw Errors.unknownGuild();
      return g;
    };
    this.add('GET', '/guilds/:gid', bot, (ctx) => ({ status: 200, body: w.guildObject(guild(ctx.params[0])) }));
    this.add('GET', '/guilds/:gid/channels', bot, (ctx) => ({
      status: 200,
      body: guild(ctx.params[0]).channels.map((c) => w.channelObject(c)),
    }));
    this.add('GET', '/guilds/:gid/roles', bot, (ctx) => ({
      status: 200,
      body: guild(ctx.params[0]).roles.map((r) => w.roleObject(r)),
    }));
    this.add('GET', '/guilds/:gid/members/:uid', bot, (ctx) => {
      const g = guild(ctx.params[0]);
      const uid = ctx.params[1];
      if (uid === w.botUserId) return { status: 200, body: w.botMember(g) };
      const m = uid === undefined ? undefined : g.members.get(uid);
      if (!m) throw new ApiError(404, { message: 'Unknown Member', code: 10007 });
      return { status: 200, body: m };
    });

    // --- channels ---
    this.add('GET', '/channels/:cid', bot, (ctx) => ({
      status: 200,
      body: w.channelObject(this.channel(ctx.params[0] ?? '')),
    }));
    this.add('POST', '/channels/:cid/typing', bot, (ctx) => {
      this.channel(ctx.params[0] ?? '');
      return { status: 204 };
    });
    this.add('GET', '/channels/:cid/messages', bot, (ctx) => {
      const ch = this.channel(ctx.params[0] ?? '');
      const limitRaw = Number(ctx.query.get('limit') ?? '50');
      if (!Number.isInteger(limitRaw) || limitRaw < 1 || limitRaw > 100) {
        throw Errors.invalidFormBody({
          limit: { _errors: [{ code: 'NUMBER_TYPE_MAX', message: 'int value should be less than or equal to 100.' }] },
        });
      }
      const before = ctx.query.get('before');
      const after = ctx.query.get('after');
      const list = w
        .messagesIn(ch.id)
        .filter((m) => !m.deleted && !(m.flags & MessageFlag.Ephemeral))
        .filter((m) => (before ? BigInt(m.id) < BigInt(before) : true) && (after ? BigInt(m.id) > BigInt(after) : true))
        .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1))
        .slice(0, limitRaw);
      return { status: 200, body: list.map((m) => w.messageObject(m)) };
    });
    this.add('POST', '/channels/:cid/messages', { auth: true, limit: 'channel', bucket: CHANNEL_BUCKET }, (ctx) => {
      const ch = this.channel(ctx.params[0] ?? '');
      this.takeChannel(ctx, ch.id);
      const input = this.parse(ctx.json, 'create', 0);
      if (input.enforceNonce && input.nonce !== undefined) {
        const dup = w.nonceHit(ch.id, input.nonce, ctx.now);
        if (dup) return this.messageReply(dup);
      }
      let reference: JsonObject | undefined;
      if (input.messageReference?.message_id) {
        const mr = input.messageReference;
        const target = w.messages.get(mr.message_id ?? '');
        const ok =
          target &&
          !target.deleted &&
          !(target.flags & MessageFlag.Ephemeral) &&
          (mr.type === 1 || target.channelId === ch.id);
        if (ok && target) {
          reference = {
            type: mr.type,
            channel_id: target.channelId,
            message_id: target.id,
            ...(target.guildId ? { guild_id: target.guildId } : {}),
          };
        } else if (mr.fail_if_not_exists) {
          throw Errors.invalidFormBody({
            message_reference: { _errors: [{ code: 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', message: 'Unknown message' }] },
          });
        }
      }
      const allowed = MessageFlag.SuppressEmbeds | MessageFlag.SuppressNotifications | MessageFlag.IsComponentsV2;
      const fields = w.resolveContent(
        { content: '', embeds: [], components: [], attachments: [], flags: 0, channelId: ch.id },
        input,
        ctx.files,
        'create',
        allowed,
        [],
      );
      const refId = reference?.message_id;
      const m = w.createMessage(
        {
          ...fields,
          channelId: ch.id,
          guildId: ch.guildId,
          type: reference && reference.type === 0 ? 19 : 0,
          tts: input.tts ?? false,
          via: 'channel',
          ...(typeof refId === 'string' ? { replyTo: refId } : {}),
          ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
          createdAt: ctx.now,
          loading: false,
        },
        { author: w.botUser(), ...(reference ? { reference } : {}) },
      );
      if (input.nonce !== undefined) w.rememberNonce(ch.id, input.nonce, m.id, ctx.now);
      this.emitMessage('MESSAGE_CREATE', m);
      return this.messageReply(m);
    });
    this.add('GET', '/channels/:cid/messages/:id', bot, (ctx) => {
      const ch = this.channel(ctx.params[0] ?? '');
      return this.messageReply(this.channelMessage(ch.id, ctx.params[1] ?? ''));
    });
    this.add(
      'PATCH',
      '/channels/:cid/messages/:id',
      { auth: true, limit: 'channel', bucket: CHANNEL_BUCKET },
      (ctx) => {
        const ch = this.channel(ctx.params[0] ?? '');
        this.takeChannel(ctx, ch.id);
        const m = this.channelMessage(ch.id, ctx.params[1] ?? '');
        if (w.getMeta(m.id)?.author.id !== w.botUserId) throw Errors.cannotEditOtherUser();
        const input = this.parse(ctx.json, 'edit', m.flags);
        this.applyEdit(m, ctx, input, 'channel');
        m.editedAt = ctx.now;
        return this.messageReply(m);
      },
    );
    this.add('DELETE', '/channels/:cid/messages/:id', bot, (ctx) => {
      const ch = this.channel(ctx.params[0] ?? '');
      const m = this.channelMessage(ch.id, ctx.params[1] ?? '');
      m.deleted = true;
      m.deletedAt = ctx.now;
      this.emitDelete(m);
      return { status: 204 };
    });
    for (const method of ['PUT', 'DELETE']) {
      this.add(method, '/channels/:cid/messages/:id/reactions/:emoji/@me', bot, (ctx) => {
        const ch = this.channel(ctx.params[0] ?? '');
        this.channelMessage(ch.id, ctx.params[1] ?? '');
        return { status: 204 };
      });
    }

    // --- interaction callback ---
    this.add('POST', '/interactions/:iid/:token/callback', { auth: false, limit: 'none' }, (ctx) => this.callback(ctx));

    // --- interaction webhooks ---
    const wh = { auth: false, limit: 'channel' as const, bucket: CHANNEL_BUCKET };
    this.add('POST', '/webhooks/:app/:token', wh, (ctx) => this.followup(ctx));
    this.add('PATCH', '/webhooks/:app/:token/messages/:mid', wh, (ctx) => {
      const st = this.interactionForWebhook(ctx.params[0] ?? '', ctx.params[1] ?? '', ctx.now);
      ctx.channelId = st.record.channelId;
      const mid = ctx.params[2] ?? '';
      return this.record(
        st,
        'edit',
        ctx,
        () => {
          const m = this.webhookMessage(st, mid);
          this.takeChannel(ctx, m.channelId);
          const input = this.parse(ctx.json, 'edit', m.flags);
          this.applyEdit(m, ctx, input, 'webhook');
          return this.messageReply(m);
        },
        { target: mid },
      );
    });
    this.add('GET', '/webhooks/:app/:token/messages/:mid', { auth: false, limit: 'generic' }, (ctx) => {
      const st = this.interactionForWebhook(ctx.params[0] ?? '', ctx.params[1] ?? '', ctx.now);
      return this.messageReply(this.webhookMessage(st, ctx.params[2] ?? ''));
    });
    this.add('DELETE', '/webhooks/:app/:token/messages/:mid', wh, (ctx) => {
      const st = this.interactionForWebhook(ctx.params[0] ?? '', ctx.params[1] ?? '', ctx.now);
      ctx.channelId = st.record.channelId;
      const mid = ctx.params[2] ?? '';
      return this.record(
        st,
        'delete',
        ctx,
        () => {
          const m = this.webhookMessage(st, mid);
          this.takeChannel(ctx, m.channelId);
          m.deleted = true;
          m.deletedAt = ctx.now;
          this.emitDelete(m);
          return { status: 204, body: { id: m.id } };
        },
        { target: mid },
      );
    });
  }

  private applicationObject(): JsonObject {
    const w = this.world;
    return {
      id: w.applicationId,
      name: w.botUsername,
      icon: null,
      description: '',
      summary: '',
      type: null,
      bot_public: w.botPublic,
      bot_require_code_grant: false,
      verify_key: 'f'.repeat(64),
      flags: 0,
      hook: true,
      is_monetized: false,
      is_verified: false,
      is_discoverable: false,
      storefront_available: false,
      integration_types_config: { '0': {} },
      approximate_guild_count: w.guilds.size,
      approximate_user_install_count: 0,
      redirect_uris: [],
      interactions_endpoint_url: null,
      team: null,
      owner: {
        id: snowflake(Date.parse('2020-01-01')),
        username: 'owner',
        global_name: 'owner',
        discriminator: '0',
        avatar: null,
        flags: 0,
        public_flags: 0,
      },
      bot: w.botUser(),
    };
  }

  private callback(ctx: Ctx): Reply {
    const [iid, token] = ctx.params;
    const st = iid === undefined ? undefined : this.world.interactionById.get(iid);
    if (!st || st.record.token !== token) throw Errors.unknownInteraction();
    const rec = st.record;
    const body = isRecord(ctx.json) ? ctx.json : {};
    const type = body.type;
    return this.record(
      st,
      'callback',
      ctx,
      () => {
        if (st.acked) throw Errors.alreadyAcknowledged();
        if (ctx.now > rec.dispatchedAt + this.cfg.interactionDeadlineMs) {
          rec.lateCallbackAt.push(ctx.now);
          throw Errors.unknownInteraction();
        }
        if (!isInt(type) || ![4, 5, 6, 7, 8, 9].includes(type)) {
          throw Errors.invalidFormBody({
            type: {
              _errors: [{ code: 'BASE_TYPE_CHOICES', message: 'Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.' }],
            },
          });
        }
        // An autocomplete interaction takes exactly one answer type (8); nothing else takes 8.
        if ((type === 8) !== (st.kind === 'autocomplete')) {
          throw Errors.invalidFormBody({
            type: {
              _errors: [
                {
                  code: 'INTERACTION_RESPONSE_TYPE_INVALID',
                  message: 'This response type is not valid for this interaction type',
                },
              ],
            },
          });
        }
        // A modal's submit may update the message whose button opened it; nothing else but a click may.
        const fromMessage = st.kind === 'component' || (st.kind === 'modal' && st.clickedMessageId !== undefined);
        // A modal answers a command or a click, never a modal's submit.
        if (((type === 6 || type === 7) && !fromMessage) || (type === 9 && st.kind === 'modal')) {
          throw Errors.invalidFormBody({
            type: {
              _errors: [
                {
                  code: 'INTERACTION_RESPONSE_TYPE_INVALID',
                  message: 'This response type is not valid for this interaction type',
                },
              ],
            },
          });
        }
        const data = body.data;
        let message: MessageRecord | undefined;
        switch (type) {
          case 4: {
            const input = this.parse(data, 'create', 0, ['data']);
            const allowed =
              MessageFlag.SuppressEmbeds |
              MessageFlag.Ephemeral |
              MessageFlag.SuppressNotifications |
              MessageFlag.IsComponentsV2;
            const fields = this.world.resolveContent(
              { content: '', embeds: [], components: [], attachments: [], flags: 0, channelId: rec.channelId },
              input,
              ctx.files,
              'create',
              allowed,
              ['data'],
            );
            message = this.createInteractionMessage(st, ctx, fields, 'interaction', false, input);
            break;
          }
          case 5: {
            const flagsRaw = isRecord(data) ? data.flags : undefined;
            if (flagsRaw !== undefined && flagsRaw !== null && !isInt(flagsRaw)) {
              throw Errors.invalidFormBody({
                data: {
                  flags: {
                    _errors: [{ code: 'NUMBER_TYPE_COERCE', message: `Value "${String(flagsRaw)}" is not int.` }],
                  },
                },
              });
            }
            const flags = (isInt(flagsRaw) ? flagsRaw : 0) & MessageFlag.Ephemeral;
            message = this.createInteractionMessage(
              st,
              ctx,
              { content: '', embeds: [], components: [], attachments: [], flags: flags | MessageFlag.Loading },
              'interaction',
              true,
            );
            break;
          }
          case 6:
          case 7: {
            const clicked = st.clickedMessageId ? this.world.messages.get(st.clickedMessageId) : undefined;
            if (!clicked || clicked.deleted) throw Errors.unknownMessage();
            if (type === 7) {
              const input = this.parse(data, 'edit', clicked.flags, ['data']);
              this.applyEdit(clicked, { ...ctx, json: data ?? {} }, input, 'callback', ['data']);
              clicked.editedAt = ctx.now;
            }
            message = clicked;
            break;
          }
          case 8: {
            rec.autocompleteChoices = this.autocompleteChoices(st, data);
            break;
          }
          case 9: {
            modalIssues(data).throwIfAny();
            if (isRecord(data)) rec.modal = structuredClone(data) as JsonObject;
            break;
          }
        }
        st.acked = true;
        rec.ackedAt = ctx.now;
        rec.ackType = type;
        rec.ackLatencyMs = ctx.now - rec.dispatchedAt;
        rec.ephemeral = message ? (message.flags & MessageFlag.Ephemeral) !== 0 : false;
        if (message) rec.originalMessageId = message.id;
        if (ctx.query.get('with_response') !== 'true') return { status: 204 };
        const response: JsonObject = {
          interaction: {
            id: rec.id,
            type: rec.type,
            ...(message
              ? {
                  response_message_id: message.id,
                  response_message_loading: message.loading,
                  response_message_ephemeral: rec.ephemeral,
                }
              : {}),
          },
        };
        if (message && type !== 6) response.resource = { type, message: this.world.messageObject(message) };
        return { status: 200, body: response };
      },
      { callbackType: isInt(type) ? type : -1 },
    );
  }

  /** Discord's rules for an autocomplete answer: ≤ 25 choices, names 1–100 chars, values of the option's type. */
  private autocompleteChoices(st: InteractionState, data: unknown): Array<{ name: string; value: string | number }> {
    const issues = new Issues();
    const choices = isRecord(data) ? data.choices : undefined;
    const focused = (
      isRecord(st.record.payload.data) && Array.isArray(st.record.payload.data.options)
        ? st.record.payload.data.options
        : []
    ).find((o) => isRecord(o) && o.focused === true);
    const optionType = isRecord(focused) ? focused.type : 3;
    const out: Array<{ name: string; value: string | number }> = [];
    if (!Array.isArray(choices)) issues.add(['data', 'choices'], 'BASE_TYPE_REQUIRED', 'This field is required');
    else {
      if (choices.length > 25)
        issues.add(['data', 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
      choices.forEach((c, i) => {
        const p = ['data', 'choices', i];
        if (!isRecord(c)) return issues.add(p, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
        const name = c.name;
        if (typeof name !== 'string' || [...name].length < 1 || [...name].length > 100)
          issues.add([...p, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
        const value = c.value;
        if (
          optionType === 3
            ? typeof value !== 'string' || value.length > 100
            : typeof value !== 'number' || (optionType === 4 && !Number.isInteger(value))
        ) {
          issues.add(
            [...p, 'value'],
            'APPLICATION_COMMAND_OPTION_CHOICE_VALUE_INVALID',
            'Choice value does not match the option type',
          );
        }
        if (typeof name === 'string' && (typeof value === 'string' || typeof value === 'number'))
          out.push({ name, value });
      });
    }
    issues.throwIfAny();
    return out;
  }

  private followup(ctx: Ctx): Reply {
    const st = this.interactionForWebhook(ctx.params[0] ?? '', ctx.params[1] ?? '', ctx.now);
    const rec = st.record;
    ctx.channelId = rec.channelId;
    return this.record(st, 'followup', ctx, () => {
      if (!st.acked) throw Errors.unknownWebhook();
      this.takeChannel(ctx, rec.channelId);
      const original = rec.originalMessageId ? this.world.messages.get(rec.originalMessageId) : undefined;
      const wait = ctx.query.get('wait') === 'true';
      // After a deferred (type 5) response, the first follow-up replaces the "thinking…" message.
      if (original && original.loading && !original.deleted) {
        const input = this.parse(ctx.json, 'edit', original.flags);
        this.applyEdit(original, ctx, input, 'webhook');
        return wait ? this.messageReply(original) : { status: 204, body: { id: original.id } };
      }
      const input = this.parse(ctx.json, 'create', 0);
      const allowed =
        MessageFlag.SuppressEmbeds |
        MessageFlag.Ephemeral |
        MessageFlag.SuppressNotifications |
        MessageFlag.IsComponentsV2;
      const fields = this.world.resolveContent(
        { content: '', embeds: [], components: [], attachments: [], flags: 0, channelId: rec.channelId },
        input,
        ctx.files,
        'create',
        allowed,
        [],
      );
      const m = this.createInteractionMessage(st, ctx, fields, 'webhook-followup', false, input);
      st.followups.add(m.id);
      return wait ? this.messageReply(m) : { status: 204, body: { id: m.id } };
    });
  }
}
