import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { KlingAuth, KlingCredentials } from '../config.js';
import type { GenerationRequest, Standard, TaskKind } from '../domain.js';
import { silentLogger, type Logger } from '../log.js';
import { KlingCredentialSet } from './auth.js';
import { KlingError, kindForHttpStatus, kindForKlingCode, type KlingErrorKind } from './errors.js';
import { standardFor, type Routing } from './routing.js';
import { ErrorBody, parseAccountCosts, parseTaskBody, parseTaskList, type KlingTask, type Pack } from './schemas.js';
import { LEGACY_PATHS, legacyBody } from './standards/legacy.js';
import { fromNewTask, newBody, newCreatePath, NewQueryEnvelope, NewTaskEnvelope, TASKS_PATH } from './standards/new.js';

export { klingImage } from './standards/legacy.js';

export interface KlingClientOptions {
  baseUrl: string;
  /** The credentials configured; `auth` alone is one of them (the legacy standard's). */
  credentials?: KlingCredentials;
  auth?: KlingAuth;
  /** KLING_API: which standard carries video tasks (default auto). */
  api?: Routing['api'];
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

/** How a task is looked up: by Kling's id, or by ours (sent as its external_task_id). */
export interface LookupOptions {
  standard?: Standard | undefined;
  external?: boolean;
}

/** The legacy standard's request body (kept under its old name for callers and tests). */
export const toKlingBody = legacyBody;

/** Kling names no batch limit for `GET /tasks?task_ids=`: start here, halve when a batch is refused. */
export const FIRST_BATCH_SIZE = 50;

const TRANSIENT: ReadonlySet<KlingErrorKind> = new Set(['server', 'timeout', 'network', 'malformed']);

/**
 * Kling over HTTP, in both of its API standards (legacy `/v1/…` and new, model in the path),
 * behind one seam: auth per standard, every answer parsed at the edge into one `KlingTask`,
 * errors classified into KlingError, reads retried with backoff and jitter. Creates carry our id
 * as `external_task_id` and are sent once; a lost one is looked up by that id, never re-sent.
 * Which standard a task uses is decided once (`standardFor`) and kept on its record.
 */
export class KlingClient {
  private readonly http: AxiosInstance;
  private readonly credentials: KlingCredentialSet;
  private readonly routing: Routing;
  private readonly retries: number;
  private readonly backoffBaseMs: number;
  private readonly log: Logger;
  /** Gateways have no list endpoint; remembered per kind after the first 404. */
  private readonly listUnsupported = new Set<TaskKind>();
  /** Ids per `GET /tasks` call; halved when Kling refuses a batch as too large. */
  batchSize = FIRST_BATCH_SIZE;

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
    this.credentials = KlingCredentialSet.of(options.credentials, options.auth, options.now);
    this.routing = { api: options.api ?? 'auto', hasKey: this.credentials.hasKey };
    this.retries = options.retries ?? 3;
    this.backoffBaseMs = options.backoffBaseMs ?? 250;
    this.log = options.log ?? silentLogger;
  }

  /** The standard a new task of this request goes to (stored on its record by the caller). */
  standardFor(req: Pick<GenerationRequest, 'kind' | 'model'>): Standard {
    return standardFor(req, this.routing);
  }

  supportsList(kind: TaskKind): boolean {
    return !this.listUnsupported.has(kind);
  }

  /** Tasks of the new standard are read many at a time (`GET /tasks?task_ids=`). */
  canBatch(ref: { standard?: Standard | undefined; klingTaskId?: string | undefined }): boolean {
    return ref.standard === 'new' && ref.klingTaskId !== undefined;
  }

  /**
   * Creates a task, once: never retried here. A create whose answer was lost (timeout, reset, 5xx,
   * malformed) may have made a paid task, so the caller looks it up by `externalTaskId` before any
   * new create (Kling does not document what a repeated external_task_id gets). Rate-limit and
   * concurrency answers are queued by the tracker.
   */
  async create(
    req: GenerationRequest,
    externalTaskId: string,
    callbackUrl?: string,
    standard: Standard = 'legacy',
  ): Promise<KlingTask> {
    const isNew = standard === 'new';
    const path = isNew ? newCreatePath(req) : LEGACY_PATHS[req.kind];
    const body = isNew ? newBody(req, externalTaskId, callbackUrl) : legacyBody(req, externalTaskId, callbackUrl);
    const res = await this.send('create', () =>
      this.http.post(path, body, { headers: this.credentials.headers(standard) }),
    );
    return this.taskFrom('create', res, standard);
  }

  /** One task by Kling's id, or by ours (`external: true`). */
  async get(kind: TaskKind, id: string, opts: LookupOptions = {}): Promise<KlingTask> {
    const standard = opts.standard ?? 'legacy';
    return this.withRetries('get', new Set([...TRANSIENT, 'rate_limit']), async () => {
      if (standard === 'new') {
        const [task] = await this.query([id], opts.external === true);
        if (!task) throw new KlingError('not_found', 'kling get: no such task', { httpStatus: 200 });
        return task;
      }
      const res = await this.send('get', () =>
        this.http.get(`${LEGACY_PATHS[kind]}/${encodeURIComponent(id)}`, {
          headers: this.credentials.headers(standard),
        }),
      );
      return this.taskFrom('get', res, standard);
    });
  }

  /**
   * New-standard tasks by Kling's ids, `batchSize` per call. Kling states no maximum: a batch it
   * refuses as invalid is split in half, and the smaller size kept. Ids Kling does not return are
   * simply absent from the answer.
   */
  async getMany(ids: readonly string[]): Promise<KlingTask[]> {
    const out: KlingTask[] = [];
    for (let i = 0; i < ids.length;) {
      const chunk = ids.slice(i, i + this.batchSize);
      try {
        out.push(
          ...(await this.withRetries('get', new Set([...TRANSIENT, 'rate_limit']), () => this.query(chunk, false))),
        );
        i += chunk.length;
      } catch (err) {
        const tooMany = err instanceof KlingError && err.kind === 'invalid_parameter' && chunk.length > 1;
        if (!tooMany) throw err;
        this.batchSize = Math.max(1, Math.floor(chunk.length / 2));
        this.log.info({ batchSize: this.batchSize }, 'kling refused a task batch; asking for fewer at a time');
      }
    }
    return out;
  }

  private async query(ids: readonly string[], external: boolean): Promise<KlingTask[]> {
    const param = external ? 'external_task_ids' : 'task_ids';
    const res = await this.send('get', () =>
      this.http.get(TASKS_PATH, { params: { [param]: ids.join(',') }, headers: this.credentials.headers('new') }),
    );
    this.throwIfError(res, 'get', 'new');
    const parsed = NewQueryEnvelope.safeParse(this.json(res));
    if (!parsed.success) {
      this.options.onCall?.('get', 'malformed');
      throw new KlingError('malformed', 'kling task query: body did not match its schema', { httpStatus: res.status });
    }
    this.options.onCall?.('get', 'ok');
    return parsed.data.data.map(fromNewTask);
  }

  /** One page of a kind's legacy tasks, newest first. A short page is the last. */
  async list(kind: TaskKind, pageNum: number, pageSize: number): Promise<KlingTask[]> {
    return this.withRetries('list', new Set([...TRANSIENT, 'rate_limit']), async () => {
      const res = await this.send('list', () =>
        this.http.get(LEGACY_PATHS[kind], {
          params: { pageNum, pageSize },
          headers: this.credentials.headers('legacy'),
        }),
      );
      if (res.status === 404) {
        this.listUnsupported.add(kind);
        throw new KlingError('not_found', `list not supported for ${kind}`, { httpStatus: 404 });
      }
      this.throwIfError(res, 'list', 'legacy');
      const tasks = parseTaskList(this.json(res));
      if (!tasks)
        throw new KlingError('malformed', 'list body did not match the task list schema', { httpStatus: res.status });
      this.options.onCall?.('list', 'ok');
      return tasks;
    });
  }

  /** The account's resource packs (`GET /account/costs`; Kling asks for at most 1 query a second). */
  async accountCosts(startMs: number, endMs: number): Promise<Pack[]> {
    return this.withRetries('account', TRANSIENT, async () => {
      const res = await this.send('account', () =>
        this.http.get('/account/costs', {
          params: { start_time: startMs, end_time: endMs },
          headers: this.credentials.headers('legacy'),
        }),
      );
      this.throwIfError(res, 'account', 'legacy');
      const packs = parseAccountCosts(this.json(res));
      if (!packs) {
        this.options.onCall?.('account', 'malformed');
        throw new KlingError('malformed', 'account costs body did not match its schema', { httpStatus: res.status });
      }
      this.options.onCall?.('account', 'ok');
      return packs;
    });
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

  private taskFrom(op: KlingOp, res: AxiosResponse<string>, standard: Standard): KlingTask {
    this.throwIfError(res, op, standard);
    const body = this.json(res);
    const fresh = standard === 'new' ? NewTaskEnvelope.safeParse(body) : undefined;
    const task = fresh?.success ? fromNewTask(fresh.data.data) : parseTaskBody(body);
    if (!task) {
      this.options.onCall?.(op, 'malformed');
      throw new KlingError('malformed', `kling ${op}: body did not match either envelope`, { httpStatus: res.status });
    }
    this.options.onCall?.(op, 'ok');
    return task;
  }

  /** Classifies by HTTP status and Kling code; a failed *task* is a 200/code 0 and is not an error here. */
  private throwIfError(res: AxiosResponse<string>, op: KlingOp, standard: Standard): void {
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
    if (klingCode === 1003 || klingCode === 1004) this.credentials.invalidate();
    const retryAfter = Number(res.headers['retry-after']);
    this.options.onCall?.(op, kind);
    throw new KlingError(kind, `kling ${op} answered HTTP ${res.status} code ${klingCode ?? '-'}`, {
      httpStatus: res.status,
      ...(klingCode !== undefined ? { klingCode } : {}),
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      ...(providerMessage ? { providerMessage: providerMessage.slice(0, 200) } : {}),
      ...(kind === 'auth' ? { credential: this.credentials.credentialFor(standard) } : {}),
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
