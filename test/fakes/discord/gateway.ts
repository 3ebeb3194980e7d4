/**
 * Gateway v10 (JSON encoding) on the fake's HTTP server, via `ws`.
 * Supports no compression (what discord.js 14 uses unless zlib-sync is installed), identify `compress`
 * (per-payload zlib) and `?compress=zlib-stream`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import zlib from 'node:zlib';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { z } from 'zod';
import { isRecord, type JsonObject } from './json.js';
import type { World } from './state.js';
import type { GatewayLogEntry } from './types.js';

export const Intent = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  MessageContent: 1 << 15,
} as const;
const PRIVILEGED = Intent.GuildMembers | Intent.GuildPresences | Intent.MessageContent;
const ALL_INTENTS = (1 << 26) - 1;

const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
  RequestSoundboardSounds: 31,
} as const;

const Close = {
  UnknownOpcode: 4001,
  DecodeError: 4002,
  NotAuthenticated: 4003,
  AuthenticationFailed: 4004,
  AlreadyAuthenticated: 4005,
  InvalidSeq: 4007,
  RateLimited: 4008,
  SessionTimedOut: 4009,
  InvalidShard: 4010,
  InvalidApiVersion: 4012,
  InvalidIntents: 4013,
  DisallowedIntents: 4014,
} as const;

const Frame = z.object({
  op: z.number().int(),
  d: z.unknown().optional(),
  s: z.unknown().optional(),
  t: z.unknown().optional(),
});
const IdentifyData = z.object({
  token: z.string(),
  properties: z.object({ os: z.string(), browser: z.string(), device: z.string() }),
  intents: z.number().int(),
  compress: z.boolean().optional(),
  large_threshold: z.number().int().min(50).max(250).optional(),
  shard: z.tuple([z.number().int(), z.number().int()]).optional(),
  presence: z.unknown().optional(),
});
const ResumeData = z.object({ token: z.string(), session_id: z.string(), seq: z.number().int().nullable() });

interface Session {
  id: string;
  seq: number;
  intents: number;
  shard: [number, number];
  events: { s: number; t: string; d: JsonObject }[];
  conn: Conn | null;
  invalid: boolean;
}

interface Conn {
  id: number;
  ws: WebSocket;
  session: Session | null;
  compression: 'none' | 'payload' | 'zlib-stream';
  deflate: zlib.Deflate | null;
  chain: Promise<void>;
  watchdog: NodeJS.Timeout | null;
  received: number[];
}

export interface GatewayOptions {
  botToken: string;
  heartbeatIntervalMs: number;
  privilegedIntents: number;
  url: () => string;
}

export class Gateway {
  private wss: WebSocketServer | null = null;
  private readonly conns = new Set<Conn>();
  private readonly sessions = new Map<string, Session>();
  private nextConnId = 1;
  identifyCount = 0;

  constructor(
    private readonly world: World,
    private readonly opts: GatewayOptions,
    private readonly log: GatewayLogEntry[],
  ) {}

  attach(server: Server): void {
    this.wss = new WebSocketServer({ server });
    this.wss.on('connection', (ws, req) => this.onConnection(ws, req));
  }

  /** Open connections that completed IDENTIFY/RESUME. */
  readyConnections(): Conn[] {
    return [...this.conns].filter((c) => c.session !== null && c.ws.readyState === WebSocket.OPEN);
  }

  /**
   * Sends a dispatch to every ready connection whose shard handles the guild, as Discord does when
   * one bot runs twice (both get every interaction; the second callback gets 40060). Returns the
   * first send time.
   */
  dispatchToGuild(guildId: string, t: string, d: JsonObject): number | null {
    const conns = this.readyConnections().filter(
      (c) => c.session !== null && shardFor(guildId, c.session.shard[1]) === c.session.shard[0],
    );
    if (conns.length === 0) return null;
    const at = Date.now();
    for (const conn of conns) this.dispatch(conn, t, d);
    return at;
  }

  /** Gateway events that depend on intents (e.g. MESSAGE_CREATE needs GUILD_MESSAGES). */
  broadcast(guildId: string, intent: number, t: string, d: JsonObject): void {
    for (const conn of this.readyConnections()) {
      if (!conn.session || (conn.session.intents & intent) === 0) continue;
      if (shardFor(guildId, conn.session.shard[1]) !== conn.session.shard[0]) continue;
      this.dispatch(conn, t, d);
    }
  }

  hasIntent(intent: number): boolean {
    return this.readyConnections().some((c) => c.session !== null && (c.session.intents & intent) !== 0);
  }

  disconnect(code: number): void {
    for (const c of this.conns) if (c.ws.readyState === WebSocket.OPEN) c.ws.close(code, 'closed by test');
  }

  async close(): Promise<void> {
    for (const c of this.conns) {
      if (c.watchdog) clearTimeout(c.watchdog);
      c.ws.terminate();
    }
    this.conns.clear();
    const wss = this.wss;
    this.wss = null;
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  // ---------- connection handling ----------

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const conn: Conn = {
      id: this.nextConnId++,
      ws,
      session: null,
      compression: 'none',
      deflate: null,
      chain: Promise.resolve(),
      watchdog: null,
      received: [],
    };
    this.conns.add(conn);
    ws.on('close', (code) => {
      if (conn.watchdog) clearTimeout(conn.watchdog);
      conn.deflate?.close();
      this.conns.delete(conn);
      const s = conn.session;
      if (s && s.conn === conn) {
        s.conn = null;
        // Closing with 1000/1001 invalidates the session (Discord docs: Gateway > Disconnecting).
        if (code === 1000 || code === 1001) s.invalid = true;
      }
    });
    ws.on('error', () => undefined);
    const params = new URL(req.url ?? '/', 'ws://localhost').searchParams;
    if (params.get('v') !== '10') {
      ws.close(Close.InvalidApiVersion, 'Invalid API version.');
      return;
    }
    const encoding = params.get('encoding') ?? 'json';
    const compress = params.get('compress');
    if (encoding !== 'json' || (compress !== null && compress !== 'zlib-stream')) {
      ws.close(Close.DecodeError, 'Error while decoding payload.');
      return;
    }
    if (compress === 'zlib-stream') {
      conn.compression = 'zlib-stream';
      conn.deflate = zlib.createDeflate({ chunkSize: 65535 });
    }
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    this.send(conn, {
      op: Op.Hello,
      d: { heartbeat_interval: this.opts.heartbeatIntervalMs, _trace: ['["gateway-prd-fake-1",{"micros":0.0}]'] },
    });
    this.armWatchdog(conn);
  }

  private armWatchdog(conn: Conn): void {
    if (conn.watchdog) clearTimeout(conn.watchdog);
    conn.watchdog = setTimeout(
      () => {
        if (conn.ws.readyState === WebSocket.OPEN) conn.ws.close(Close.SessionTimedOut, 'Session timed out.');
      },
      Math.round(this.opts.heartbeatIntervalMs * 1.5) + 1000,
    );
    conn.watchdog.unref();
  }

  private onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    const now = Date.now();
    conn.received = conn.received.filter((t) => now - t < 60_000);
    conn.received.push(now);
    if (conn.received.length > 120) {
      conn.ws.close(Close.RateLimited, 'You are being rate limited.');
      return;
    }
    let frame: z.infer<typeof Frame>;
    try {
      if (isBinary) throw new Error('binary frames are not accepted with encoding=json');
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8');
      frame = Frame.parse(JSON.parse(text));
    } catch {
      conn.ws.close(Close.DecodeError, 'Error while decoding payload.');
      return;
    }
    this.log.push({ at: now, dir: 'in', connection: conn.id, op: frame.op });
    switch (frame.op) {
      case Op.Heartbeat:
        if (frame.d !== null && frame.d !== undefined && typeof frame.d !== 'number') {
          conn.ws.close(Close.DecodeError, 'Error while decoding payload.');
          return;
        }
        this.armWatchdog(conn);
        this.send(conn, { op: Op.HeartbeatAck });
        return;
      case Op.Identify:
        this.identify(conn, frame.d);
        return;
      case Op.Resume:
        this.resume(conn, frame.d);
        return;
      case Op.PresenceUpdate:
      case Op.VoiceStateUpdate:
      case Op.RequestSoundboardSounds:
        if (!conn.session) conn.ws.close(Close.NotAuthenticated, 'Not authenticated.');
        return;
      case Op.RequestGuildMembers:
        if (!conn.session) conn.ws.close(Close.NotAuthenticated, 'Not authenticated.');
        else this.requestMembers(conn, frame.d);
        return;
      default:
        conn.ws.close(Close.UnknownOpcode, 'Unknown opcode.');
    }
  }

  private tokenOk(token: string): boolean {
    return token === this.opts.botToken || token === `Bot ${this.opts.botToken}`;
  }

  private identify(conn: Conn, d: unknown): void {
    if (conn.session) {
      conn.ws.close(Close.AlreadyAuthenticated, 'Already authenticated.');
      return;
    }
    const parsed = IdentifyData.safeParse(d);
    if (!parsed.success) {
      conn.ws.close(Close.DecodeError, 'Error while decoding payload.');
      return;
    }
    const id = parsed.data;
    if (!this.tokenOk(id.token)) {
      conn.ws.close(Close.AuthenticationFailed, 'Authentication failed.');
      return;
    }
    if (id.intents < 0 || (id.intents & ~ALL_INTENTS) !== 0) {
      conn.ws.close(Close.InvalidIntents, 'Invalid intent(s).');
      return;
    }
    if ((id.intents & PRIVILEGED & ~this.opts.privilegedIntents) !== 0) {
      conn.ws.close(Close.DisallowedIntents, 'Disallowed intent(s).');
      return;
    }
    const shard = id.shard ?? [0, 1];
    if (shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1]) {
      conn.ws.close(Close.InvalidShard, 'Invalid shard.');
      return;
    }
    this.identifyCount++;
    if (id.compress === true && conn.compression === 'none') conn.compression = 'payload';
    const session: Session = {
      id: randomBytes(16).toString('hex'),
      seq: 0,
      intents: id.intents,
      shard,
      events: [],
      conn,
      invalid: false,
    };
    this.sessions.set(session.id, session);
    conn.session = session;
    const guilds = [...this.world.guilds.values()].filter((g) => shardFor(g.id, shard[1]) === shard[0]);
    this.dispatch(conn, 'READY', {
      v: 10,
      user_settings: {},
      user: this.world.botUser(true),
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: this.opts.url(),
      shard,
      application: { id: this.world.applicationId, flags: 0 },
      private_channels: [],
      presences: [],
      relationships: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ['fake-local'],
      auth: {},
      _trace: ['["gateway-prd-fake-1",{"micros":0.0}]'],
    });
    if (id.intents & Intent.Guilds) {
      for (const g of guilds) this.dispatch(conn, 'GUILD_CREATE', this.world.guildCreate(g));
    }
  }

  private resume(conn: Conn, d: unknown): void {
    if (conn.session) {
      conn.ws.close(Close.AlreadyAuthenticated, 'Already authenticated.');
      return;
    }
    const parsed = ResumeData.safeParse(d);
    if (!parsed.success) {
      conn.ws.close(Close.DecodeError, 'Error while decoding payload.');
      return;
    }
    if (!this.tokenOk(parsed.data.token)) {
      conn.ws.close(Close.AuthenticationFailed, 'Authentication failed.');
      return;
    }
    const session = this.sessions.get(parsed.data.session_id);
    if (!session || session.invalid) {
      this.send(conn, { op: Op.InvalidSession, d: false });
      return;
    }
    const seq = parsed.data.seq ?? 0;
    if (seq > session.seq) {
      conn.ws.close(Close.InvalidSeq, 'Invalid seq.');
      return;
    }
    if (session.conn && session.conn !== conn && session.conn.ws.readyState === WebSocket.OPEN) {
      session.conn.session = null;
      session.conn.ws.close(Close.SessionTimedOut, 'Session resumed elsewhere.');
    }
    session.conn = conn;
    conn.session = session;
    for (const e of session.events.filter((ev) => ev.s > seq)) {
      this.send(conn, { op: Op.Dispatch, t: e.t, s: e.s, d: e.d });
    }
    this.dispatch(conn, 'RESUMED', { _trace: ['["gateway-prd-fake-1",{"micros":0.0}]'] });
  }

  private requestMembers(conn: Conn, d: unknown): void {
    if (!isRecord(d) || typeof d.guild_id !== 'string') {
      conn.ws.close(Close.DecodeError, 'Error while decoding payload.');
      return;
    }
    const guild = this.world.guilds.get(d.guild_id);
    if (!guild) return;
    const members = [this.world.botMember(guild), ...guild.members.values()];
    this.dispatch(conn, 'GUILD_MEMBERS_CHUNK', {
      guild_id: guild.id,
      members,
      chunk_index: 0,
      chunk_count: 1,
      not_found: [],
      ...(typeof d.nonce === 'string' ? { nonce: d.nonce } : {}),
    });
  }

  private dispatch(conn: Conn, t: string, d: JsonObject): void {
    const session = conn.session;
    if (!session) return;
    const s = ++session.seq;
    session.events.push({ s, t, d });
    if (session.events.length > 1000) session.events.shift();
    this.send(conn, { op: Op.Dispatch, t, s, d });
  }

  private send(conn: Conn, payload: JsonObject): void {
    const ws = conn.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    this.log.push({
      at: Date.now(),
      dir: 'out',
      connection: conn.id,
      op: typeof payload.op === 'number' ? payload.op : -1,
      t: typeof payload.t === 'string' ? payload.t : null,
      s: typeof payload.s === 'number' ? payload.s : null,
    });
    const text = JSON.stringify({ t: null, s: null, ...payload });
    const deflate = conn.deflate;
    if (conn.compression === 'zlib-stream' && deflate) {
      conn.chain = conn.chain.then(
        () =>
          new Promise<void>((resolve) => {
            const chunks: Buffer[] = [];
            const onData = (c: Buffer): void => void chunks.push(c);
            deflate.on('data', onData);
            deflate.write(text);
            deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
              setImmediate(() => {
                deflate.off('data', onData);
                if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat(chunks));
                resolve();
              });
            });
          }),
      );
    } else if (conn.compression === 'payload' && payload.op === Op.Dispatch) {
      ws.send(zlib.deflateSync(text));
    } else {
      ws.send(text);
    }
  }
}

function shardFor(guildId: string, count: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(count));
}
