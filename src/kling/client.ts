import type { GenerationRequest, Standard, TaskKind } from '../domain.js';
import { KlingError } from './errors.js';
import { standardFor, type Routing } from './routing.js';
import { parseAccountCosts, parseTaskBody, parseTaskList, type KlingTask, type Pack } from './schemas.js';
import { LEGACY_PATHS, legacyBody } from './standards/legacy.js';
import { fromNewTask, newBody, newCreatePath, NewTaskEnvelope } from './standards/new.js';
import { NewTaskReads, type NewListPage } from './standards/new-reads.js';
import {
  KlingTransport,
  READ_RETRIES,
  TRANSIENT,
  type Answer,
  type KlingOp,
  type TransportOptions,
} from './transport.js';

export { klingImage } from './standards/legacy.js';
export { FIRST_BATCH_SIZE } from './standards/new-reads.js';
export type { KlingOp } from './transport.js';

export interface KlingClientOptions extends TransportOptions {
  /** KLING_API: which standard carries video tasks (default auto). */
  api?: Routing['api'];
}

/** How a task is looked up: by Kling's id, or by ours (sent as its external_task_id). */
export interface LookupOptions {
  standard?: Standard | undefined;
  external?: boolean;
}

/** The legacy standard's request body (kept under its old name for callers and tests). */
export const toKlingBody = legacyBody;

/**
 * Kling over HTTP, in both of its API standards (legacy `/v1/…` and new, model in the path),
 * behind one seam: auth per standard, every answer parsed at the edge into one `KlingTask`,
 * errors classified into KlingError, reads retried with backoff and jitter. Creates carry our id
 * as `external_task_id` and are sent once; a lost one is looked up by that id, never re-sent.
 * Which standard a task uses is decided once (`standardFor`) and kept on its record.
 */
export class KlingClient {
  private readonly t: KlingTransport;
  private readonly routing: Routing;
  private readonly reads: NewTaskReads;
  /** Gateways have no list endpoint; remembered per kind after the first 404. */
  private readonly listUnsupported = new Set<TaskKind>();

  constructor(options: KlingClientOptions) {
    this.t = new KlingTransport(options);
    this.routing = { api: options.api ?? 'auto', hasKey: this.t.credentials.hasKey };
    this.reads = new NewTaskReads(this.t);
  }

  /** The standard a new task of this request goes to (stored on its record by the caller). */
  standardFor(req: Pick<GenerationRequest, 'kind' | 'model'>): Standard {
    return standardFor(req, this.routing);
  }

  /** Whether a legacy kind's list pages can be read (gateways have none). */
  supportsList(kind: TaskKind): boolean {
    return !this.listUnsupported.has(kind);
  }

  /** Whether the new standard's task list (`POST /tasks`) can be read. */
  supportsNewList(): boolean {
    return !this.reads.listUnsupported;
  }

  /** Ids one `GET /tasks` call takes now (halved each time Kling refuses a batch). */
  get batchSize(): number {
    return this.reads.batchSize;
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
    const url = isNew ? newCreatePath(req) : LEGACY_PATHS[req.kind];
    const data = isNew ? newBody(req, externalTaskId, callbackUrl) : legacyBody(req, externalTaskId, callbackUrl);
    return this.taskFrom('create', await this.t.request('create', standard, { method: 'POST', url, data }), standard);
  }

  /** One task by Kling's id, or by ours (`external: true`). */
  async get(kind: TaskKind, id: string, opts: LookupOptions = {}): Promise<KlingTask> {
    const standard = opts.standard ?? 'legacy';
    return this.t.withRetries('get', READ_RETRIES, async () => {
      if (standard === 'new') {
        const [task] = await this.reads.query([id], opts.external === true);
        if (!task) throw new KlingError('not_found', 'kling get: no such task', { httpStatus: 200 });
        return task;
      }
      const url = `${LEGACY_PATHS[kind]}/${encodeURIComponent(id)}`;
      return this.taskFrom('get', await this.t.request('get', standard, { method: 'GET', url }), standard);
    });
  }

  /** New-standard tasks by Kling's ids, in batches (see NewTaskReads.getMany). */
  getMany(ids: readonly string[]): Promise<KlingTask[]> {
    return this.reads.getMany(ids);
  }

  /** One page of the new standard's task list (`POST /tasks`); `cursor` from the page before. */
  listNew(cursor?: string): Promise<NewListPage> {
    return this.reads.listPage(cursor);
  }

  /** One page of a kind's legacy tasks, newest first. A short page is the last. */
  async list(kind: TaskKind, pageNum: number, pageSize: number): Promise<KlingTask[]> {
    return this.t.withRetries('list', READ_RETRIES, async () => {
      const { status, body } = await this.t.request(
        'list',
        'legacy',
        { method: 'GET', url: LEGACY_PATHS[kind], params: { pageNum, pageSize } },
        { passNotFound: true },
      );
      if (status === 404) {
        this.listUnsupported.add(kind);
        throw new KlingError('not_found', `list not supported for ${kind}`, { httpStatus: 404 });
      }
      const tasks = parseTaskList(body);
      if (!tasks) throw this.t.malformed('list', 'body did not match the task list schema', status);
      return this.t.ok('list', tasks);
    });
  }

  /** The account's resource packs (`GET /account/costs`; Kling asks for at most 1 query a second). */
  async accountCosts(startMs: number, endMs: number): Promise<Pack[]> {
    return this.t.withRetries('account', TRANSIENT, async () => {
      const { status, body } = await this.t.request('account', 'legacy', {
        method: 'GET',
        url: '/account/costs',
        params: { start_time: startMs, end_time: endMs },
      });
      const packs = parseAccountCosts(body);
      if (!packs) throw this.t.malformed('account', 'account costs body did not match its schema', status);
      return this.t.ok('account', packs);
    });
  }

  private taskFrom(op: KlingOp, { status, body }: Answer, standard: Standard): KlingTask {
    const fresh = standard === 'new' ? NewTaskEnvelope.safeParse(body) : undefined;
    const task = fresh?.success ? fromNewTask(fresh.data.data) : parseTaskBody(body);
    if (!task) throw this.t.malformed(op, 'body did not match either envelope', status);
    return this.t.ok(op, task);
  }
}
