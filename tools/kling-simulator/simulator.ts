/**
 * Loopback simulator of the Kling AI HTTP API.
 *
 * It is deliberately strict (auth, field validation, per-kind task visibility,
 * idempotent external_task_id, concurrency limits) so that tests running against
 * it catch the mistakes the real API would reject. It is built to hold 10,000+
 * in-flight tasks: task state is derived lazily from the clock on each read, and
 * a single shared timer loop exists only while some task awaits a callback.
 */
import { closeStalled, serveSizedMedia, type MediaServing } from './media-bytes.js';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { verifyJwt } from './jwt.js';
import { extendRefusal, fieldRefusal, legacyRefusal, type Refusal, type SimTaskKind } from './legacy-rules.js';
import type { NewVideoKind, SimStandard } from './documented.js';
import { newRefusal, newUnits } from './new-rules.js';
import { omniRefusal, type VideoLookup } from './omni-rules.js';

export { mintTestJwt } from './jwt.js';
export type { SimTaskKind } from './legacy-rules.js';
export type SimTaskStatus = 'submitted' | 'processing' | 'succeed' | 'failed';
/** `notfound`: a 404 for a task that exists (a read that has not caught up with a create yet). */
export type FaultKind = 'http500' | 'http503' | 'http429' | 'slow' | 'malformed' | 'reset' | 'notfound';
export type FaultOp = 'create' | 'get' | 'list' | 'any';

export interface FaultSpec {
  kind: FaultKind;
  /** How many matching requests this fault affects before it is used up. */
  times: number;
  on?: FaultOp;
  /** For `slow`: how long to hold the answer (default 2000 ms). */
  delayMs?: number;
  /**
   * For `slow`: hold the answer until this settles instead (delayMs is ignored), so a test decides
   * when the client hears back rather than racing a timer.
   */
  until?: Promise<unknown>;
  /** For `malformed`: truncated JSON text (default) or a valid JSON body missing `data`. */
  variant?: 'truncated' | 'no-data';
}

export interface FaultRate {
  kind: FaultKind;
  /** 0..1 chance that a matching request is affected. */
  probability: number;
  on?: FaultOp;
  delayMs?: number;
  variant?: 'truncated' | 'no-data';
}

export interface SimulatorOptions {
  port?: number;
  host?: string;
  envelope?: 'official' | 'gateway';
  prefix?: string;
  /**
   * The account's credentials: an access/secret pair (a JWT, legacy standard only), an API key
   * (the only thing the new standard takes), or both.
   */
  auth: { accessKey?: string; secretKey?: string; apiKey?: string };
  /**
   * Whether the legacy standard takes the API key too (Kling's docs show it on images; video is unstated).
   * Default true.
   */
  legacyTakesKey?: boolean;
  /** Most ids one `GET /tasks` takes (Kling names none); more is refused with 400/1201. Default 50. */
  batchMax?: number;
  timing?: { submittedMs?: number; processingMs?: number; jitter?: number };
  durationFor?: (body: Record<string, unknown>) => { submittedMs: number; processingMs: number } | undefined;
  concurrency?: { video?: number; image?: number };
  ratePerSecond?: number;
  now?: () => number;
  /**
   * The account's resource packs served at GET /account/costs (official envelope only; gateways have no such endpoint).
   */
  packs?: ReadonlyArray<Record<string, unknown>>;
  /** Models Kling has that the capability table does not (yet): accepted under the generic rules. */
  extraModels?: readonly string[];
  /**
   * A create repeating an external_task_id Kling already has. Kling documents only that the id must
   * be unique: `same-task` answers with the task it already has (default), `refuse` with an error.
   */
  repeatCreate?: 'same-task' | 'refuse';
  /** Result files of a chosen size, stalled mid-body if asked (see media-bytes.ts). */
  media?: MediaServing;
}

export interface SimTaskInfo {
  taskId: string;
  externalTaskId?: string;
  kind: SimTaskKind;
  body: Record<string, unknown>;
  createdAt: number;
  finishedAt: number;
  willFail: boolean;
}

export interface SimCall {
  at: number;
  method: string;
  path: string;
  op: 'create' | 'get' | 'list' | 'account' | 'media' | 'other';
  status: number;
  authorization?: string;
  body?: unknown;
}

export interface SimStats {
  /** New (paid) tasks created. Idempotent repeats are counted in duplicateCreates instead. */
  creates: number;
  duplicateCreates: number;
  gets: number;
  lists: number;
  /** GET /account/costs answered (refusals included). */
  accountCalls: number;
  /** Callback POSTs attempted (delivery failures are ignored, like the real service). */
  callbacksSent: number;
  /** Answers with HTTP status >= 400 plus injected resets/malformed bodies. */
  errors: number;
}

export interface KlingSimulator {
  url: string;
  origin: string;
  calls: SimCall[];
  stats: SimStats;
  tasks(): SimTaskInfo[];
  task(idOrExternalId: string): SimTaskInfo | undefined;
  createsFor(externalTaskId: string): number;
  faults: { add(f: FaultSpec): void; rate(r: FaultRate): void; clear(): void };
  reset(): void;
  close(): Promise<void>;
}

const bodySchema = z.record(z.string(), z.unknown());
const pageNumSchema = z.coerce.number().int().min(1).max(1000);
const pageSizeSchema = z.coerce.number().int().min(1).max(500);

const KIND_PATHS: ReadonlyArray<readonly [SimTaskKind, string]> = [
  ['text2video', '/v1/videos/text2video'],
  ['image2video', '/v1/videos/image2video'],
  ['images', '/v1/images/generations'],
  ['video-extend', '/v1/videos/video-extend'],
  ['omni-video', '/v1/videos/omni-video'],
];

// ---------------------------------------------------------------------------
// Small binary min-heap: O(log n) bookkeeping for slot release and callback firing.

class MinHeap<T> {
  private items: T[] = [];
  constructor(private readonly key: (item: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  clear(): void {
    this.items = [];
  }
  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.key(a[parent] as T) <= this.key(a[i] as T)) break;
      [a[parent], a[i]] = [a[i] as T, a[parent] as T];
      i = parent;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.key(a[l] as T) < this.key(a[m] as T)) m = l;
        if (r < a.length && this.key(a[r] as T) < this.key(a[m] as T)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i] as T, a[m] as T];
        i = m;
      }
    }
    return top;
  }
}

/** Concurrency slots of one resource pack; released lazily when the clock passes finishedAt. */
class SlotPool {
  private used = 0;
  private readonly heap = new MinHeap<{ at: number; slots: number }>((e) => e.at);
  usedAt(now: number): number {
    for (let top = this.heap.peek(); top !== undefined && top.at <= now; top = this.heap.peek()) {
      this.used -= top.slots;
      this.heap.pop();
    }
    return this.used;
  }
  hold(until: number, slots: number): void {
    this.used += slots;
    this.heap.push({ at: until, slots });
  }
  clear(): void {
    this.used = 0;
    this.heap.clear();
  }
}

// ---------------------------------------------------------------------------

interface Task {
  taskId: string;
  externalTaskId?: string;
  kind: SimTaskKind;
  body: Record<string, unknown>;
  createdAt: number;
  processingAt: number;
  finishedAt: number;
  willFail: boolean;
  callbackUrl?: string;
  result:
    | { videos: Array<{ id: string; url: string; duration: string }> }
    | { images: Array<{ index: number; url: string }> };
  deduction: string;
  lastNotified: SimTaskStatus;
  cbChain: Promise<void>;
  /** The model and mode that made the video (an extension keeps its source's). */
  model: string;
  mode: string;
  /** The kind that made the first video of an extension chain (the capability table's row). */
  rootKind: SimTaskKind;
  standard: SimStandard;
}

/** A task as the new standard shows it: `succeeded`, `outputs[]`, `billing[]`. */
function renderNewTask(t: Task, now: number): Record<string, unknown> {
  const status = statusAt(t, now);
  const updated = status === 'submitted' ? t.createdAt : status === 'processing' ? t.processingAt : t.finishedAt;
  const done = status === 'succeed';
  const videos = 'videos' in t.result ? t.result.videos : [];
  return {
    id: t.taskId,
    status: done ? 'succeeded' : status,
    message: status === 'failed' ? 'Failure to pass the risk control system' : '',
    create_time: t.createdAt,
    update_time: updated,
    ...(t.externalTaskId === undefined ? {} : { external_id: t.externalTaskId }),
    outputs: done
      ? videos.map((v) => ({ type: 'video', id: v.id, url: v.url, watermark_url: v.url, duration: v.duration }))
      : [],
    billing: done ? [{ charge_type: 'unit', amount: t.deduction, package_type: 'video', currency: null }] : [],
  };
}

const renderAny = (t: Task, now: number) => (t.standard === 'new' ? renderNewTask(t, now) : renderTask(t, now));

interface Answer {
  status: number;
  json: unknown;
  headers?: Record<string, string>;
}

type Op = SimCall['op'];
type ActiveFault = Omit<FaultSpec, 'times'>;
const noop = (): void => undefined;

const CALLS_CAP = 50_000;
const MAX_BODY_BYTES = 20 * 1024 * 1024;
const CALLBACK_TICK_MS = 25;
// Smallest valid-looking payloads: enough for a client to download and check the content type.
const TINY_MP4 = Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex');
const TINY_PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082',
  'hex',
);

/** Two packs, as a fresh trial account might have: one video pack in use, one image pack used up. */
const DEFAULT_PACKS = (now: number): Array<Record<string, unknown>> => [
  {
    resource_pack_name: 'Video generation – 1000 units',
    resource_pack_id: 'sim-pack-video-1',
    resource_pack_type: 'decreasing_total',
    total_quantity: 1000,
    remaining_quantity: 842.5,
    purchase_time: now - 20 * 86_400_000,
    effective_time: now - 20 * 86_400_000,
    invalid_time: now + 345 * 86_400_000,
    status: 'online',
  },
  {
    resource_pack_name: 'Image generation – 200 units',
    resource_pack_id: 'sim-pack-image-1',
    resource_pack_type: 'decreasing_total',
    total_quantity: 200,
    remaining_quantity: 0,
    purchase_time: now - 60 * 86_400_000,
    effective_time: now - 60 * 86_400_000,
    invalid_time: now + 305 * 86_400_000,
    status: 'runOut',
  },
];

function statusAt(t: Task, now: number): SimTaskStatus {
  if (now < t.processingAt) return 'submitted';
  if (now < t.finishedAt) return 'processing';
  return t.willFail ? 'failed' : 'succeed';
}

function renderTask(t: Task, now: number): Record<string, unknown> {
  const status = statusAt(t, now);
  const updatedAt = status === 'submitted' ? t.createdAt : status === 'processing' ? t.processingAt : t.finishedAt;
  const out: Record<string, unknown> = {
    task_id: t.taskId,
    task_status: status,
    task_status_msg: status === 'failed' ? 'Failure to pass the risk control system' : '',
    task_info: t.externalTaskId === undefined ? {} : { external_task_id: t.externalTaskId },
    created_at: t.createdAt,
    updated_at: updatedAt,
  };
  if (status === 'succeed') {
    out['task_result'] = t.result;
    out['final_unit_deduction'] = t.deduction;
  }
  return out;
}

function gatewayStatus(s: SimTaskStatus): string {
  return s === 'submitted' ? 'SUBMITTED' : s === 'processing' ? 'IN_PROGRESS' : s === 'succeed' ? 'SUCCESS' : 'FAILURE';
}

function progressAt(t: Task, now: number): string {
  const s = statusAt(t, now);
  if (s === 'submitted') return '0%';
  if (s !== 'processing') return '100%';
  const frac = (now - t.processingAt) / Math.max(1, t.finishedAt - t.processingAt);
  return `${Math.min(99, 10 + Math.floor(frac * 90))}%`;
}

function videoDeduction(mode: string, duration: string): string {
  // The simulator's own price list (not the bot's table): 1 unit per 5 s, twice that in pro.
  const units = (mode === 'pro' ? 2 : 1) * Math.max(1, Number(duration) / 5);
  return String(Math.round(units * 100) / 100);
}

export async function startKlingSimulator(opts: SimulatorOptions): Promise<KlingSimulator> {
  const clock = opts.now ?? Date.now;
  const envelope = opts.envelope ?? 'official';
  const prefix = (opts.prefix ?? '').replace(/\/+$/, '');
  const host = opts.host ?? '127.0.0.1';
  const baseTiming = {
    submittedMs: opts.timing?.submittedMs ?? 300,
    processingMs: opts.timing?.processingMs ?? 1500,
    jitter: Math.min(1, Math.max(0, opts.timing?.jitter ?? 0)),
  };
  const limits = { video: opts.concurrency?.video ?? Infinity, image: opts.concurrency?.image ?? Infinity };

  const byId = new Map<string, Task>();
  const byExternal = new Map<string, Task>();
  const createCounts = new Map<string, number>();
  const ordered: Task[] = [];
  const byKind: Record<SimTaskKind, Task[]> = {
    text2video: [],
    image2video: [],
    images: [],
    'video-extend': [],
    'omni-video': [],
  };
  /** Every generated video by its id, for video-extend. */
  const byVideoId = new Map<string, Task>();
  /** …and by its URL, for omni-video's `video_url`. */
  const byVideoUrl = new Map<string, Task>();
  const pools = { video: new SlotPool(), image: new SlotPool() };
  const calls: SimCall[] = [];
  const stats: SimStats = {
    creates: 0,
    duplicateCreates: 0,
    gets: 0,
    lists: 0,
    accountCalls: 0,
    callbacksSent: 0,
    errors: 0,
  };
  let lastAccountCallAt = -Infinity;
  const faultQueue: FaultSpec[] = [];
  const faultRates: FaultRate[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  const callbackHeap = new MinHeap<{ at: number; task: Task }>((e) => e.at);
  let callbackLoop: NodeJS.Timeout | undefined;
  const callbackAgent = new Agent({ keepAlive: true, maxSockets: 256 });
  let nextTaskNumber = 8_422_509_036_290_000 + Math.floor(Math.random() * 100_000);
  const bucket = { tokens: opts.ratePerSecond ?? 0, last: clock() };
  let origin = '';

  // ----- helpers -----------------------------------------------------------

  function newTaskId(): string {
    nextTaskNumber += 1 + Math.floor(Math.random() * 89);
    return String(nextTaskNumber);
  }

  function officialError(code: number, message: string): Record<string, unknown> {
    return { code, message, request_id: randomUUID() };
  }

  function errorAnswer(status: number, code: number, message: string, headers?: Record<string, string>): Answer {
    const official = officialError(code, message);
    const json = envelope === 'gateway' ? { code: 'fail', message, data: official } : official;
    return headers === undefined ? { status, json } : { status, json, headers };
  }

  const refusal = (r: Refusal): Answer => errorAnswer(r.status, r.code, r.message);

  function taskAnswer(t: Task): Answer {
    const now = clock();
    if (t.standard === 'new')
      return {
        status: 200,
        json: { code: 0, message: 'SUCCEED', request_id: randomUUID(), data: renderNewTask(t, now) },
      };
    const official = { code: 0, message: 'SUCCEED', request_id: randomUUID(), data: renderTask(t, now) };
    if (envelope === 'official') return { status: 200, json: official };
    return {
      status: 200,
      json: {
        code: 'success',
        message: '',
        data: {
          task_id: t.taskId,
          status: gatewayStatus(statusAt(t, now)),
          progress: progressAt(t, now),
          data: official,
        },
      },
    };
  }

  function takeRateToken(): boolean {
    const rate = opts.ratePerSecond;
    if (rate === undefined) return true;
    const now = clock();
    const capacity = Math.max(1, rate);
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.last) / 1000) * rate);
    bucket.last = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  function pickFault(op: Op): ActiveFault | undefined {
    if (op !== 'create' && op !== 'get' && op !== 'list') return undefined;
    const matches = (on: FaultOp | undefined): boolean => on === undefined || on === 'any' || on === op;
    const idx = faultQueue.findIndex((f) => f.times > 0 && matches(f.on));
    if (idx >= 0) {
      const f = faultQueue[idx] as FaultSpec;
      f.times -= 1;
      if (f.times <= 0) faultQueue.splice(idx, 1);
      return f;
    }
    for (const r of faultRates) {
      if (matches(r.on) && Math.random() < r.probability) return r;
    }
    return undefined;
  }

  function recordCall(call: SimCall): void {
    calls.push(call);
    // Trim in batches so the cap costs O(1) amortised per request.
    if (calls.length > CALLS_CAP + 1000) calls.splice(0, calls.length - CALLS_CAP);
  }

  function isKey(token: string): boolean {
    const key = opts.auth.apiKey;
    if (key === undefined) return false;
    const a = Buffer.from(token);
    const b = Buffer.from(key);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** The new standard takes an API key only (a JWT is refused); the legacy one a JWT from the pair, or the key. */
  function authenticate(req: IncomingMessage, standard: SimStandard = 'legacy'): Answer | undefined {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer (.+)$/.exec(header);
    if (match === null || match[1] === undefined)
      return errorAnswer(401, 1000, 'Authentication failed: missing Bearer authorization');
    const token = match[1];
    if (isKey(token)) {
      if (standard === 'new' || opts.legacyTakesKey !== false) return undefined;
      return errorAnswer(401, 1000, 'Authentication failed: this API takes an access key / secret key JWT');
    }
    if (standard === 'new' || opts.auth.accessKey === undefined || opts.auth.secretKey === undefined)
      return errorAnswer(401, 1000, 'Authentication failed: invalid api key');
    const code = verifyJwt(token, opts.auth.accessKey, opts.auth.secretKey, clock());
    if (code === 1002) return errorAnswer(401, 1002, 'Authorization is invalid');
    if (code === 1003) return errorAnswer(401, 1003, 'Authorization is not yet valid');
    if (code === 1004) return errorAnswer(401, 1004, 'Authorization has expired');
    return undefined;
  }

  // ----- callbacks -----------------------------------------------------------

  function postCallback(url: string, payload: Record<string, unknown>): Promise<void> {
    stats.callbacksSent += 1;
    // node:http rather than fetch: at 10k tasks, fetch + AbortSignal.timeout cost more CPU than the whole simulator.
    return new Promise<void>((resolve) => {
      const body = JSON.stringify(payload);
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        target,
        {
          method: 'POST',
          agent: target.protocol === 'https:' ? undefined : callbackAgent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: 10_000,
        },
        (res) => {
          res.resume(); // drain so the keep-alive connection is reused
          res.on('end', resolve);
          res.on('error', () => resolve());
        },
      );
      // Fire-and-forget: delivery errors are ignored, as by the real service.
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve());
      req.end(body);
    });
  }

  function tickCallbacks(): void {
    const now = clock();
    for (let top = callbackHeap.peek(); top !== undefined && top.at <= now; top = callbackHeap.peek()) {
      callbackHeap.pop();
      const t = top.task;
      const url = t.callbackUrl;
      if (url === undefined || byId.get(t.taskId) !== t) continue; // forgotten by reset()
      // Emit every transition since the last notification, in order, even if a tick skipped one.
      if (t.lastNotified === 'submitted' && now >= t.processingAt) {
        const snapshot = renderAny(t, t.processingAt);
        t.lastNotified = 'processing';
        t.cbChain = t.cbChain.then(() => postCallback(url, snapshot));
      }
      if (t.lastNotified === 'processing' && now >= t.finishedAt) {
        const snapshot = renderAny(t, t.finishedAt);
        t.lastNotified = t.willFail ? 'failed' : 'succeed';
        t.cbChain = t.cbChain.then(() => postCallback(url, snapshot));
      }
      if (t.lastNotified === 'submitted') callbackHeap.push({ at: t.processingAt, task: t });
      else if (t.lastNotified === 'processing') callbackHeap.push({ at: t.finishedAt, task: t });
    }
    if (callbackHeap.size === 0 && callbackLoop !== undefined) {
      clearInterval(callbackLoop);
      callbackLoop = undefined;
    }
  }

  function scheduleCallbacks(t: Task): void {
    callbackHeap.push({ at: t.processingAt, task: t });
    if (callbackLoop === undefined) {
      callbackLoop = setInterval(tickCallbacks, CALLBACK_TICK_MS);
      callbackLoop.unref();
    }
  }

  // ----- operations ------------------------------------------------------------

  function handleCreate(kind: SimTaskKind, req: IncomingMessage, raw: string, parsed: unknown): Answer {
    if (!takeRateToken()) return errorAnswer(429, 1302, 'The API request is too fast, please slow down');
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.toLowerCase().includes('application/json')) {
      return errorAnswer(400, 1200, 'Invalid request parameters: Content-Type must be application/json');
    }
    if (parsed === undefined) {
      return errorAnswer(
        400,
        1200,
        raw.length === 0 ? 'Invalid request parameters: empty body' : 'Invalid request parameters: malformed JSON',
      );
    }
    const bodyResult = bodySchema.safeParse(parsed);
    if (!bodyResult.success) return errorAnswer(400, 1200, 'Invalid request parameters: body must be a JSON object');
    const body = bodyResult.data;

    if (kind === 'video-extend') return handleExtend(body);
    if (kind === 'omni-video') return handleOmni(body);
    const modelRaw = body['model_name'];
    if (modelRaw !== undefined && typeof modelRaw !== 'string')
      return errorAnswer(400, 1201, 'Invalid value for field model_name: expected string');
    const model = modelRaw ?? 'kling-v1';
    const refused = legacyRefusal(kind, model, body, opts.extraModels ?? []);
    if (refused) return refusal(refused);

    const mode = typeof body['mode'] === 'string' ? body['mode'] : 'std';
    const duration = typeof body['duration'] === 'string' ? body['duration'] : '5';
    return makeTask(kind, body, {
      standard: 'legacy',
      model,
      mode,
      rootKind: kind,
      videoSeconds: `${duration}.1`,
      deduction: kind === 'images' ? undefined : videoDeduction(mode, duration),
    });
  }

  /**
   * video-extend: the source is a finished video the simulator made, at most 30 days old; the
   * result is 4–5 s longer and may total at most 3 minutes; model and mode are the source's.
   */
  function handleExtend(body: Record<string, unknown>): Answer {
    const fields = fieldRefusal('video-extend', body);
    if (fields) return refusal(fields);
    const source = byVideoId.get(String(body['video_id']));
    const now = clock();
    if (!source || statusAt(source, now) !== 'succeed')
      return errorAnswer(400, 1201, 'Invalid value for field video_id: no finished video with this id');
    if (now - source.finishedAt > 30 * 86_400_000)
      return errorAnswer(
        400,
        1201,
        'Invalid value for field video_id: the video is over 30 days old and has been deleted',
      );
    const seconds = Number('videos' in source.result ? source.result.videos[0]?.duration : 0);
    if (seconds + 4.5 > 180)
      return errorAnswer(
        400,
        1201,
        'Invalid value for field video_id: the extended video would be longer than 3 minutes',
      );
    const refused = extendRefusal(source.model);
    if (refused) return refusal(refused);
    return makeTask('video-extend', body, {
      standard: 'legacy',
      model: source.model,
      mode: source.mode,
      rootKind: source.rootKind,
      videoSeconds: (seconds + 4.5).toFixed(1),
      deduction: videoDeduction(source.mode, '5'),
    });
  }

  /** One of the simulator's own videos, by its URL (an omni input): its length, whether done, its age. */
  function videoByUrl(url: string): ReturnType<VideoLookup> {
    const t = byVideoUrl.get(url);
    if (!t) return undefined;
    const now = clock();
    const seconds = Number('videos' in t.result ? t.result.videos[0]?.duration : 0);
    return { seconds, finished: statusAt(t, now) === 'succeed', ageMs: now - t.finishedAt };
  }

  /** Legacy omni-video: reference images, an edit of a video, multi-shot (omni-rules.ts). */
  function handleOmni(body: Record<string, unknown>): Answer {
    const checked = omniRefusal(body, opts.extraModels ?? [], videoByUrl);
    if ('refusal' in checked) return refusal(checked.refusal);
    const { model, mode, seconds } = checked.made;
    return makeTask('omni-video', body, {
      standard: 'legacy',
      model,
      mode,
      rootKind: 'omni-video',
      videoSeconds: `${seconds}.1`,
      deduction: videoDeduction(mode, String(seconds)),
    });
  }

  /** The part of a create every kind shares: policy, idempotency, concurrency, timing, the result. */
  function makeTask(
    kind: SimTaskKind,
    body: Record<string, unknown>,
    made: {
      standard: SimStandard;
      model: string;
      mode: string;
      rootKind: SimTaskKind;
      videoSeconds: string;
      deduction: string | undefined;
      prompt?: string;
      externalTaskId?: string | undefined;
      callbackUrl?: string | undefined;
    },
  ): Answer {
    const prompt = made.prompt ?? (typeof body['prompt'] === 'string' ? body['prompt'] : '');
    if (prompt.includes('sim:reject')) return errorAnswer(400, 1301, 'The content failed the safety check');

    const legacyExternal = typeof body['external_task_id'] === 'string' ? body['external_task_id'] : undefined;
    const externalTaskId = made.standard === 'new' ? made.externalTaskId : legacyExternal;
    if (externalTaskId !== undefined) {
      const existing = byExternal.get(externalTaskId);
      if (existing !== undefined) {
        // Never billed twice; whether Kling answers with the task or an error is not documented.
        stats.duplicateCreates += 1;
        if (opts.repeatCreate === 'refuse')
          return errorAnswer(400, 1201, 'Invalid request parameters: external_task_id already exists');
        return taskAnswer(existing);
      }
    }

    const pack = kind === 'images' ? 'image' : 'video';
    const slots = kind === 'images' ? (typeof body['n'] === 'number' ? body['n'] : 1) : 1;
    const now = clock();
    if (pools[pack].usedAt(now) + slots > limits[pack]) {
      return errorAnswer(429, 1303, 'concurrent tasks over the limit of the resource pack');
    }

    const override = opts.durationFor?.(body);
    let submittedMs: number;
    let processingMs: number;
    if (override !== undefined) {
      ({ submittedMs, processingMs } = override);
    } else {
      const jitter = (): number => 1 + baseTiming.jitter * (Math.random() * 2 - 1);
      submittedMs = baseTiming.submittedMs * jitter();
      processingMs = baseTiming.processingMs * jitter();
    }
    const processingAt = now + Math.max(0, Math.round(submittedMs));
    const finishedAt = processingAt + Math.max(0, Math.round(processingMs));

    const taskId = newTaskId();
    let result: Task['result'];
    let deduction: string;
    if (kind === 'images') {
      result = {
        images: Array.from({ length: slots }, (_, index) => ({ index, url: `${origin}/media/${taskId}-${index}.png` })),
      };
      deduction = String(slots * 0.25);
    } else {
      result = { videos: [{ id: randomUUID(), url: `${origin}/media/${taskId}.mp4`, duration: made.videoSeconds }] };
      deduction = made.deduction ?? '1';
    }
    const legacyCallback = typeof body['callback_url'] === 'string' ? body['callback_url'] : undefined;
    const callbackUrl = made.standard === 'new' ? made.callbackUrl : legacyCallback;
    const task: Task = {
      standard: made.standard,
      taskId,
      kind,
      body,
      createdAt: now,
      processingAt,
      finishedAt,
      willFail: prompt.includes('sim:fail'),
      result,
      deduction,
      lastNotified: 'submitted',
      cbChain: Promise.resolve(),
      model: made.model,
      mode: made.mode,
      rootKind: made.rootKind,
      ...(externalTaskId === undefined ? {} : { externalTaskId }),
      ...(callbackUrl === undefined ? {} : { callbackUrl }),
    };
    byId.set(taskId, task);
    ordered.push(task);
    byKind[kind].push(task);
    if ('videos' in result)
      for (const v of result.videos) {
        byVideoId.set(v.id, task);
        byVideoUrl.set(v.url, task);
      }
    if (externalTaskId !== undefined) {
      byExternal.set(externalTaskId, task);
      createCounts.set(externalTaskId, (createCounts.get(externalTaskId) ?? 0) + 1);
    }
    pools[pack].hold(finishedAt, slots);
    stats.creates += 1;
    if (callbackUrl !== undefined) scheduleCallbacks(task);
    return taskAnswer(task);
  }

  function handleGet(kind: SimTaskKind, id: string): Answer {
    const t = byId.get(id) ?? byExternal.get(id);
    // A task is only visible at its own kind's path, as on the real API.
    if (t === undefined || t.kind !== kind || t.standard !== 'legacy') return errorAnswer(404, 1203, 'task not found');
    return taskAnswer(t);
  }

  /** New standard: `POST /text-to-video/{model}` and `/image-to-video/{model}`. */
  function handleNewCreate(kind: NewVideoKind, model: string, raw: string | undefined, parsed: unknown): Answer {
    if (raw === undefined) return errorAnswer(400, 1200, 'Invalid request parameters: body too large');
    if (!takeRateToken()) return errorAnswer(429, 1302, 'The API request is too fast, please slow down');
    const body = bodySchema.safeParse(parsed);
    if (!body.success) return errorAnswer(400, 1200, 'Invalid request parameters: body must be a JSON object');
    const checked = newRefusal(kind, model, body.data, opts.extraModels ?? [], videoByUrl);
    if ('refusal' in checked) return refusal(checked.refusal);
    const simKind: SimTaskKind =
      kind === 'text-to-video' ? 'text2video' : kind === 'image-to-video' ? 'image2video' : 'omni-video';
    return makeTask(simKind, body.data, {
      standard: 'new',
      model,
      mode: checked.resolution === '720p' ? 'std' : 'pro',
      rootKind: simKind,
      videoSeconds: `${checked.seconds}.1`,
      deduction: String(newUnits(model, checked.resolution, checked.audio, checked.seconds)),
      prompt: checked.prompt,
      externalTaskId: checked.body.options?.external_task_id,
      callbackUrl: checked.body.options?.callback_url,
    });
  }

  /** New standard: `GET /tasks?task_ids=a,b` or `?external_task_ids=` (not both); ids it does not know are left out. */
  function handleBatch(query: URLSearchParams): Answer {
    const ids = query.get('task_ids');
    const ext = query.get('external_task_ids');
    if ((ids === null) === (ext === null))
      return errorAnswer(400, 1201, 'Invalid value for field task_ids: give task_ids or external_task_ids');
    const list = (ids ?? ext ?? '').split(',').filter(Boolean);
    if (list.length === 0 || list.length > (opts.batchMax ?? 50))
      return errorAnswer(400, 1201, `Invalid value for field task_ids: 1 to ${opts.batchMax ?? 50} ids`);
    const now = clock();
    const data = list
      .map((id) => (ids !== null ? byId.get(id) : byExternal.get(id)))
      .filter((t): t is Task => t !== undefined && t.standard === 'new')
      .map((t) => renderNewTask(t, now));
    return { status: 200, json: { code: 0, message: 'SUCCEED', request_id: randomUUID(), data } };
  }

  /** New standard: `POST /tasks` lists newest first, `limit` ≤ 500, an opaque cursor. */
  function handleNewList(parsed: unknown): Answer {
    const q = z
      .object({ limit: z.number().int().min(1).max(500).optional(), cursor: z.string().optional() })
      .passthrough()
      .safeParse(parsed ?? {});
    if (!q.success) return errorAnswer(400, 1201, 'Invalid value for field limit: 1 to 500');
    const all = ordered.filter((t) => t.standard === 'new');
    const from = Number(q.data.cursor ?? 0) || 0;
    const limit = q.data.limit ?? 100;
    const now = clock();
    const page = all
      .slice()
      .reverse()
      .slice(from, from + limit);
    const more = from + limit < all.length;
    return {
      status: 200,
      json: {
        code: 0,
        message: 'SUCCEED',
        data: {
          result: page.map((t) => renderNewTask(t, now)),
          count: page.length,
          next_cursor: more ? String(from + limit) : '',
          has_more: more,
        },
      },
    };
  }

  /**
   * GET /account/costs: start_time and end_time (ms) required, optional resource_pack_name; at most 1 query a second.
   */
  function handleAccountCosts(query: URLSearchParams): Answer {
    stats.accountCalls += 1;
    const now = clock();
    if (now - lastAccountCallAt < 1000)
      return errorAnswer(429, 1302, 'The API request is too fast, please slow down (account: 1 query per second)');
    lastAccountCallAt = now;
    const ms = z.coerce.number().int().min(0);
    const start = ms.safeParse(query.get('start_time') ?? undefined);
    const end = ms.safeParse(query.get('end_time') ?? undefined);
    if (!start.success) return errorAnswer(400, 1201, 'Invalid value for field start_time: required, milliseconds');
    if (!end.success) return errorAnswer(400, 1201, 'Invalid value for field end_time: required, milliseconds');
    if (end.data < start.data) return errorAnswer(400, 1201, 'Invalid value for field end_time: before start_time');
    const name = query.get('resource_pack_name');
    const packs = (opts.packs ?? DEFAULT_PACKS(now)).filter((p) => name === null || p['resource_pack_name'] === name);
    return {
      status: 200,
      json: {
        code: 0,
        message: 'SUCCEED',
        request_id: randomUUID(),
        data: { code: 0, msg: 'success', resource_pack_subscribe_infos: packs },
      },
    };
  }

  function handleList(kind: SimTaskKind, query: URLSearchParams): Answer {
    if (envelope === 'gateway')
      return { status: 404, json: { code: 'not_found', message: 'list not supported', data: null } };
    const pn = pageNumSchema.safeParse(query.get('pageNum') ?? 1);
    if (!pn.success) return errorAnswer(400, 1201, 'Invalid value for field pageNum: must be an integer 1..1000');
    const ps = pageSizeSchema.safeParse(query.get('pageSize') ?? 30);
    if (!ps.success) return errorAnswer(400, 1201, 'Invalid value for field pageSize: must be an integer 1..500');
    const list = byKind[kind].filter((t) => t.standard === 'legacy');
    const now = clock();
    const data: Array<Record<string, unknown>> = [];
    // Newest first: walk the creation-ordered array backwards.
    const start = list.length - 1 - (pn.data - 1) * ps.data;
    for (let i = start; i >= 0 && data.length < ps.data; i--) data.push(renderTask(list[i] as Task, now));
    return { status: 200, json: { code: 0, message: 'SUCCEED', request_id: randomUUID(), data } };
  }

  function handleMedia(name: string): { status: number; type: string; body: Buffer } {
    const m = /^(\d+)(?:-(\d+))?\.(mp4|png)$/.exec(name);
    const t = m?.[1] === undefined ? undefined : byId.get(m[1]);
    if (m === null || t === undefined || statusAt(t, clock()) !== 'succeed') {
      return { status: 404, type: 'text/plain', body: Buffer.from('not found') };
    }
    const isImage = m[3] === 'png';
    if (isImage !== (t.kind === 'images')) return { status: 404, type: 'text/plain', body: Buffer.from('not found') };
    if (isImage && (m[2] === undefined || Number(m[2]) >= ('images' in t.result ? t.result.images.length : 0))) {
      return { status: 404, type: 'text/plain', body: Buffer.from('not found') };
    }
    return isImage
      ? { status: 200, type: 'image/png', body: TINY_PNG }
      : { status: 200, type: 'video/mp4', body: TINY_MP4 };
  }

  function simEndpoint(path: string): Answer {
    if (path === '/__sim/stats') {
      return {
        status: 200,
        json: {
          stats,
          tasks: ordered.map((t) => ({
            taskId: t.taskId,
            externalTaskId: t.externalTaskId,
            finishedAt: t.finishedAt,
            createdAt: t.createdAt,
          })),
        },
      };
    }
    // The calls as recorded, without their credentials and bodies (a bench in another process reads them here).
    if (path === '/__sim/calls') {
      return {
        status: 200,
        json: calls.map(({ at, method, path: p, op, status }) => ({ at, method, path: p, op, status })),
      };
    }
    const m = /^\/__sim\/creates\/(.+)$/.exec(path);
    if (m?.[1] !== undefined) return { status: 200, json: { count: createCounts.get(decodeURIComponent(m[1])) ?? 0 } };
    return { status: 404, json: { error: 'unknown simulator endpoint' } };
  }

  // ----- wire ------------------------------------------------------------------

  function readBody(req: IncomingMessage): Promise<string | undefined> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY_BYTES) chunks.push(c);
      });
      req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
      req.on('error', () => resolve(''));
    });
  }

  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        resolve();
      }, ms);
      pendingTimers.add(timer);
    });
  }

  function writeJson(res: ServerResponse, status: number, payload: string, headers?: Record<string, string>): void {
    if (res.destroyed || res.writableEnded) return; // the client gave up (e.g. during a `slow` fault)
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      ...headers,
    });
    res.end(payload);
  }

  function route(
    method: string,
    path: string,
  ): {
    op: Op;
    kind?: SimTaskKind;
    id?: string;
    badMethod?: boolean;
    newKind?: NewVideoKind;
    model?: string;
    tasks?: true;
  } {
    if (!path.startsWith(`${prefix}/`) || (prefix !== '' && path === prefix)) return { op: 'other' };
    const rest = path.slice(prefix.length);
    if (rest === '/tasks') return method === 'GET' ? { op: 'get', tasks: true } : { op: 'list', tasks: true };
    const fresh = /^\/(text-to-video|image-to-video|omni-video)\/([^/]+)$/.exec(rest);
    if (fresh?.[1] && fresh[2]) {
      if (method !== 'POST') return { op: 'other', badMethod: true };
      return { op: 'create', newKind: fresh[1] as NewVideoKind, model: decodeURIComponent(fresh[2]) };
    }
    if (rest === '/account/costs') return method === 'GET' ? { op: 'account' } : { op: 'other', badMethod: true };
    for (const [kind, p] of KIND_PATHS) {
      if (rest === p) {
        if (method === 'POST') return { op: 'create', kind };
        if (method === 'GET') return { op: 'list', kind };
        return { op: 'other', badMethod: true };
      }
      if (rest.startsWith(`${p}/`)) {
        const seg = rest.slice(p.length + 1);
        if (seg === '' || seg.includes('/')) return { op: 'other' };
        let id: string;
        try {
          id = decodeURIComponent(seg);
        } catch {
          return { op: 'other' };
        }
        if (method !== 'GET') return { op: 'other', badMethod: true };
        return { op: 'get', kind, id };
      }
    }
    return { op: 'other' };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const path = url.pathname;
    const at = clock();

    if (path.startsWith('/__sim/')) {
      await readBody(req);
      const a = simEndpoint(path);
      writeJson(res, a.status, JSON.stringify(a.json));
      return;
    }

    const mediaPrefix = path.startsWith('/media/')
      ? '/media/'
      : prefix !== '' && path.startsWith(`${prefix}/media/`)
        ? `${prefix}/media/`
        : undefined;
    if (mediaPrefix !== undefined && (method === 'GET' || method === 'HEAD')) {
      await readBody(req);
      const name = path.slice(mediaPrefix.length);
      const m = handleMedia(name);
      if (m.status >= 400) stats.errors += 1;
      if (m.status === 200 && opts.media && !res.destroyed && serveSizedMedia(res, method, name, m.type, opts.media)) {
        recordCall({ at, method, path, op: 'media', status: m.status });
        return;
      }
      if (!res.destroyed) {
        res.writeHead(m.status, { 'content-type': m.type, 'content-length': m.body.length });
        res.end(method === 'HEAD' ? undefined : m.body);
      }
      recordCall({ at, method, path, op: 'media', status: m.status });
      return;
    }

    const raw = await readBody(req);
    const r = route(method, path);
    const authorization = req.headers.authorization;
    let parsed: unknown;
    if (raw !== undefined && raw.length > 0) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = undefined;
      }
    }
    const call: SimCall = {
      at,
      method,
      path: path + url.search,
      op: r.op,
      status: 0,
      ...(authorization === undefined ? {} : { authorization }),
      ...(raw === undefined || raw.length === 0 ? {} : { body: parsed ?? raw }),
    };

    const fault = pickFault(r.op);
    let answer: Answer;
    if (fault?.kind === 'reset') {
      stats.errors += 1;
      recordCall(call);
      // A real TCP RST (ECONNRESET at the client), not a polite FIN.
      req.socket.resetAndDestroy();
      return;
    }
    if (r.op === 'get') stats.gets += 1;
    if (r.op === 'list') stats.lists += 1;

    // Server-side faults reject before any work happens; `slow`/`malformed` corrupt only the
    // answer, so the task may well exist although the client never learnt about it.
    if (fault?.kind === 'http500') answer = errorAnswer(500, 5000, 'Server internal error');
    else if (fault?.kind === 'http503')
      answer = errorAnswer(503, 5001, 'Server temporarily unavailable, usually due to maintenance');
    else if (fault?.kind === 'http429')
      answer = errorAnswer(429, 1302, 'The API request is too fast, please slow down', { 'retry-after': '1' });
    else if (fault?.kind === 'notfound') answer = errorAnswer(404, 1203, 'task not found');
    else if (r.badMethod === true) answer = errorAnswer(405, 1200, `Invalid request: method ${method} not allowed`);
    else if (r.op === 'account')
      answer =
        envelope === 'gateway'
          ? { status: 404, json: { code: 'not_found', message: 'not supported', data: null } }
          : (authenticate(req) ?? handleAccountCosts(url.searchParams));
    else if (r.tasks || r.newKind)
      answer =
        authenticate(req, 'new') ??
        (r.newKind
          ? handleNewCreate(r.newKind, r.model ?? '', raw, parsed)
          : r.op === 'get'
            ? handleBatch(url.searchParams)
            : handleNewList(parsed));
    else if (r.op === 'other' || r.kind === undefined)
      answer = errorAnswer(404, 1200, `Invalid request: no such path ${path}`);
    else {
      const authError = authenticate(req);
      if (authError !== undefined) answer = authError;
      else if (r.op === 'create') {
        answer =
          raw === undefined
            ? errorAnswer(400, 1200, 'Invalid request parameters: body too large')
            : handleCreate(r.kind, req, raw, parsed);
      } else if (r.op === 'list') answer = handleList(r.kind, url.searchParams);
      else answer = handleGet(r.kind, r.id ?? '');
    }

    if (fault?.kind === 'slow') await (fault.until ? fault.until.then(noop, noop) : delay(fault.delayMs ?? 2000));

    let payload = JSON.stringify(answer.json);
    let status = answer.status;
    if (fault?.kind === 'malformed') {
      status = 200;
      if (fault.variant === 'no-data' && typeof answer.json === 'object' && answer.json !== null) {
        const withoutData: Record<string, unknown> = { ...(answer.json as Record<string, unknown>) };
        delete withoutData['data'];
        payload = JSON.stringify(withoutData);
      } else {
        payload = payload.slice(0, Math.max(1, Math.floor(payload.length / 2)));
      }
      stats.errors += 1;
    } else if (status >= 400) {
      stats.errors += 1;
    }
    call.status = status;
    recordCall(call);
    writeJson(res, status, payload, answer.headers);
  }

  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch(() => {
      stats.errors += 1;
      writeJson(res, 500, JSON.stringify(errorAnswer(500, 5000, 'Server internal error').json));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  function info(t: Task): SimTaskInfo {
    return {
      taskId: t.taskId,
      kind: t.kind,
      body: t.body,
      createdAt: t.createdAt,
      finishedAt: t.finishedAt,
      willFail: t.willFail,
      ...(t.externalTaskId === undefined ? {} : { externalTaskId: t.externalTaskId }),
    };
  }

  return {
    url: origin + prefix,
    origin,
    // Getter so callers always see the live array (reset() and trimming mutate it in place).
    get calls(): SimCall[] {
      return calls;
    },
    stats,
    tasks: () => ordered.map(info),
    task: (idOrExternalId) => {
      const t = byId.get(idOrExternalId) ?? byExternal.get(idOrExternalId);
      return t === undefined ? undefined : info(t);
    },
    createsFor: (externalTaskId) => createCounts.get(externalTaskId) ?? 0,
    faults: {
      add: (f) => {
        if (f.times > 0) faultQueue.push({ ...f });
      },
      rate: (r) => {
        faultRates.push({ ...r });
      },
      clear: () => {
        faultQueue.length = 0;
        faultRates.length = 0;
      },
    },
    reset: () => {
      byId.clear();
      byExternal.clear();
      createCounts.clear();
      ordered.length = 0;
      byVideoId.clear();
      byVideoUrl.clear();
      for (const k of Object.keys(byKind) as SimTaskKind[]) byKind[k].length = 0;
      pools.video.clear();
      pools.image.clear();
      callbackHeap.clear();
      calls.length = 0;
      stats.creates = 0;
      stats.duplicateCreates = 0;
      stats.gets = 0;
      stats.lists = 0;
      stats.accountCalls = 0;
      lastAccountCallAt = -Infinity;
      stats.callbacksSent = 0;
      stats.errors = 0;
      faultQueue.length = 0;
      faultRates.length = 0;
      bucket.tokens = opts.ratePerSecond ?? 0;
      bucket.last = clock();
    },
    close: async () => {
      if (callbackLoop !== undefined) clearInterval(callbackLoop);
      callbackLoop = undefined;
      for (const t of pendingTimers) clearTimeout(t);
      pendingTimers.clear();
      callbackAgent.destroy();
      closeStalled();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
