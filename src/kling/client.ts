import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { KlingAuth } from '../config.js';
import { KLING_PATHS, type GenerationRequest, type TaskKind } from '../domain.js';
import { silentLogger, type Logger } from '../log.js';
import { KlingAuthProvider } from './auth.js';
import { omniLegacyBody, storyboardLegacyBody } from '../omni/bodies.js';
import { rowFor } from './model-table.js';
import { modelIdFor, sendsCfgScale, sendsMode, sendsSound } from './rules.js';
import { KlingError, kindForHttpStatus, kindForKlingCode, type KlingErrorKind } from './errors.js';
import { ErrorBody, parseAccountCosts, parseTaskBody, parseTaskList, type KlingTask, type Pack } from './schemas.js';

export interface KlingClientOptions {
  baseUrl: string;
  auth: KlingAuth;
  timeoutMs?: number;
  /** Extra attempts after the first, for transient trouble. */
  retries?: number;
  backoffBaseMs?: number;
  log?: Logger;
  now?: () => number;
  /** Observes every HTTP call (metrics). */
  onCall?: (op: KlingOp, outcome: 'ok' | KlingErrorKind) => void;
}

export type KlingOp = 'create' | 'get' | 'list' | 'account';

/** Kling takes an image as a URL or as bare base64: a `data:image/…;base64,` prefix is refused (REF Kling 5), so it is cut. */
export function klingImage(ref: string): string {
  const m = /^data:[^,;]*(;[^,]*)?;base64,/i.exec(ref);
  return m ? ref.slice(m[0].length) : ref;
}

/** The request body Kling expects, from our normalised request. Option values follow the API exactly. */
export function toKlingBody(
  req: GenerationRequest,
  externalTaskId: string,
  callbackUrl?: string,
): Record<string, unknown> {
  if (req.kind === 'omni')
    return omniLegacyBody(req, modelIdFor(req.model, 'omni', 'legacy'), { externalTaskId, callbackUrl });
  if (req.kind === 'storyboard')
    return storyboardLegacyBody(req, modelIdFor(req.legacyModel, 'omni', 'legacy'), { externalTaskId, callbackUrl });
  const ours = {
    ...(req.negative_prompt ? { negative_prompt: req.negative_prompt } : {}),
    ...(callbackUrl ? { callback_url: callbackUrl } : {}),
    external_task_id: externalTaskId,
  };
  // video-extend takes the source's video id; its model and mode are the source's (Kling takes neither).
  if (req.kind === 'extend') return { video_id: req.video_id, ...(req.prompt ? { prompt: req.prompt } : {}), ...ours };
  const common = { model_name: modelIdFor(req.model, req.kind, 'legacy'), ...ours };
  if (req.kind === 'image') return { ...common, prompt: req.prompt, aspect_ratio: req.aspect_ratio, n: req.n };
  // What the capability table says the model takes; 0 is a valid cfg_scale, so test for undefined.
  const cfg = req.cfg_scale !== undefined && sendsCfgScale(req.model, req.kind) ? { cfg_scale: req.cfg_scale } : {};
  const mode = sendsMode(req.model, req.kind) ? { mode: req.mode } : {};
  // Sound goes only where the table says the model has it; to a model it does not know, only when asked for.
  const known = rowFor(req.model, req.kind) !== undefined;
  const sound =
    req.sound !== undefined && (known ? sendsSound(req.model, req.kind, req.mode) : req.sound === 'on')
      ? { sound: req.sound }
      : {};
  if (req.kind === 'text2video')
    return {
      ...common,
      prompt: req.prompt,
      ...mode,
      duration: req.duration,
      aspect_ratio: req.aspect_ratio,
      ...cfg,
      ...sound,
    };
  return {
    ...common,
    image: klingImage(req.image),
    ...(req.image_tail !== undefined ? { image_tail: klingImage(req.image_tail) } : {}),
    ...(req.prompt ? { prompt: req.prompt } : {}),
    ...mode,
    duration: req.duration,
    ...cfg,
    ...sound,
  };
}

const TRANSIENT: ReadonlySet<KlingErrorKind> = new Set(['server', 'timeout', 'network', 'malformed']);

/**
 * Kling over HTTP: auth, one parser for both envelopes, errors classified into KlingError, and
 * retries of reads with exponential backoff and jitter. Creates carry `external_task_id` and are
 * sent once; the tracker looks a lost one up by that id instead of sending it again.
 */
export class KlingClient {
  private readonly http: AxiosInstance;
  private readonly authProvider: KlingAuthProvider;
  private readonly retries: number;
  private readonly backoffBaseMs: number;
  private readonly log: Logger;
  /** Gateways have no list endpoint; remembered per kind after the first 404. */
  private readonly listUnsupported = new Set<TaskKind>();

  constructor(private readonly options: KlingClientOptions) {
    this.http = axios.create({
      baseURL: options.baseUrl.replace(/\/+$/, ''),
      timeout: options.timeoutMs ?? 15_000,
      // We read every status and body ourselves, so nothing throws with a raw body attached.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'kling-bot' },
    });
    this.authProvider = new KlingAuthProvider(options.auth, options.now);
    this.retries = options.retries ?? 3;
    this.backoffBaseMs = options.backoffBaseMs ?? 250;
    this.log = options.log ?? silentLogger;
  }

  supportsList(kind: TaskKind): boolean {
    return !this.listUnsupported.has(kind);
  }

  /**
   * Creates a task, once: never retried here. A create whose answer was lost (timeout, reset, 5xx,
   * malformed) may have made a paid task, so the caller looks it up by `externalTaskId` before any
   * new create (Kling does not document what a repeated external_task_id gets). Rate-limit and
   * concurrency answers are queued by the tracker.
   */
  async create(req: GenerationRequest, externalTaskId: string, callbackUrl?: string): Promise<KlingTask> {
    const body = toKlingBody(req, externalTaskId, callbackUrl);
    const res = await this.send('create', () =>
      this.http.post(KLING_PATHS[req.kind], body, { headers: this.headers() }),
    );
    return this.taskFrom('create', res);
  }

  /** One task by Kling's id or by our `external_task_id`. */
  async get(kind: TaskKind, id: string): Promise<KlingTask> {
    return this.withRetries('get', new Set([...TRANSIENT, 'rate_limit']), async () => {
      const res = await this.send('get', () =>
        this.http.get(`${KLING_PATHS[kind]}/${encodeURIComponent(id)}`, { headers: this.headers() }),
      );
      return this.taskFrom('get', res);
    });
  }

  /** One page of a kind's tasks, newest first. A short page is the last. */
  async list(kind: TaskKind, pageNum: number, pageSize: number): Promise<KlingTask[]> {
    return this.withRetries('list', new Set([...TRANSIENT, 'rate_limit']), async () => {
      const res = await this.send('list', () =>
        this.http.get(KLING_PATHS[kind], { params: { pageNum, pageSize }, headers: this.headers() }),
      );
      if (res.status === 404) {
        this.listUnsupported.add(kind);
        throw new KlingError('not_found', `list not supported for ${kind}`, { httpStatus: 404 });
      }
      this.throwIfError(res, 'list');
      const tasks = parseTaskList(this.json(res));
      if (!tasks)
        throw new KlingError('malformed', 'list body did not match the task list schema', { httpStatus: res.status });
      this.options.onCall?.('list', 'ok');
      return tasks;
    });
  }

  /** The account's resource packs (`GET /account/costs`, official API only; Kling asks for at most 1 query a second). */
  async accountCosts(startMs: number, endMs: number): Promise<Pack[]> {
    return this.withRetries('account', TRANSIENT, async () => {
      const res = await this.send('account', () =>
        this.http.get('/account/costs', { params: { start_time: startMs, end_time: endMs }, headers: this.headers() }),
      );
      this.throwIfError(res, 'account');
      const packs = parseAccountCosts(this.json(res));
      if (!packs) {
        this.options.onCall?.('account', 'malformed');
        throw new KlingError('malformed', 'account costs body did not match its schema', { httpStatus: res.status });
      }
      this.options.onCall?.('account', 'ok');
      return packs;
    });
  }

  private headers() {
    return { Authorization: this.authProvider.header() };
  }

  private async send(op: KlingOp, call: () => Promise<AxiosResponse<string>>): Promise<AxiosResponse<string>> {
    try {
      return await call();
    } catch (cause) {
      const timedOut = axios.isAxiosError(cause) && (cause.code === 'ECONNABORTED' || cause.code === 'ETIMEDOUT');
      const kind: KlingErrorKind = timedOut ? 'timeout' : 'network';
      this.options.onCall?.(op, kind);
      // Only the code: axios errors carry the request config, headers included.
      const code = axios.isAxiosError(cause) ? cause.code : undefined;
      throw new KlingError(kind, `kling ${op} failed: ${code ?? 'network error'}`);
    }
  }

  private json(res: AxiosResponse<string>): unknown {
    try {
      return JSON.parse(res.data);
    } catch {
      return undefined;
    }
  }

  private taskFrom(op: KlingOp, res: AxiosResponse<string>): KlingTask {
    this.throwIfError(res, op);
    const task = parseTaskBody(this.json(res));
    if (!task) {
      this.options.onCall?.(op, 'malformed');
      throw new KlingError('malformed', `kling ${op}: body did not match either envelope`, { httpStatus: res.status });
    }
    this.options.onCall?.(op, 'ok');
    return task;
  }

  /** Classifies by HTTP status and Kling code; a failed *task* is a 200/code 0 and is not an error here. */
  private throwIfError(res: AxiosResponse<string>, op: KlingOp): void {
    const body = this.json(res);
    const parsed = ErrorBody.safeParse(body);
    const klingCode = parsed.success
      ? typeof parsed.data.code === 'number'
        ? parsed.data.code
        : 'data' in parsed.data
          ? parsed.data.data?.code
          : undefined
      : undefined;
    const providerMessage = parsed.success
      ? ('data' in parsed.data && parsed.data.data?.message) || parsed.data.message || undefined
      : undefined;
    const isError = res.status >= 400 || (klingCode !== undefined && klingCode !== 0);
    if (!isError) return;
    const kind = (klingCode !== undefined ? kindForKlingCode(klingCode) : undefined) ?? kindForHttpStatus(res.status);
    if (klingCode === 1003 || klingCode === 1004) this.authProvider.invalidate();
    const retryAfter = Number(res.headers['retry-after']);
    this.options.onCall?.(op, kind);
    throw new KlingError(kind, `kling ${op} answered HTTP ${res.status} code ${klingCode ?? '-'}`, {
      httpStatus: res.status,
      ...(klingCode !== undefined ? { klingCode } : {}),
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      ...(providerMessage ? { providerMessage: providerMessage.slice(0, 200) } : {}),
    });
  }

  private async withRetries<T>(
    op: KlingOp,
    retryOn: ReadonlySet<KlingErrorKind>,
    attempt: () => Promise<T>,
  ): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        const renewable =
          err instanceof KlingError && (err.details.klingCode === 1003 || err.details.klingCode === 1004);
        const retry = err instanceof KlingError && (retryOn.has(err.kind) || renewable);
        if (!retry || n >= this.retries) throw err;
        const delay = err.details.retryAfterMs ?? this.backoffBaseMs * 2 ** n * (0.5 + Math.random());
        this.log.debug({ op, kind: err.kind, attempt: n + 1, delayMs: Math.round(delay) }, 'kling call retried');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
