import { KlingError } from '../errors.js';
import type { KlingTask } from '../schemas.js';
import { READ_RETRIES, type KlingTransport } from '../transport.js';
import { fromNewTask, NewListEnvelope, NewQueryEnvelope, TASKS_PATH } from './new.js';

/** Kling names no batch limit for `GET /tasks?task_ids=`: start here, halve when a batch is refused. */
export const FIRST_BATCH_SIZE = 50;
/** `POST /tasks` takes `limit` up to 500 (default 100). */
export const LIST_LIMIT = 500;

export interface NewListPage {
  tasks: KlingTask[];
  /** Give it back for the next page; absent when Kling says there is none. */
  nextCursor?: string;
}

/**
 * Reading tasks on Kling's new standard: by ids in batches (`GET /tasks?task_ids=a,b`), and the
 * account's task list (`POST /tasks`, a cursor, up to 500 a page). Docs:
 * https://app.klingai.com/global/dev/document-api (task query and list, update log 2026-06-17).
 */
export class NewTaskReads {
  /** Ids per `GET /tasks` call; halved when Kling refuses a batch as invalid. */
  batchSize = FIRST_BATCH_SIZE;
  /** A gateway, or a Kling, that refuses the list: the poller keeps to batches. */
  listUnsupported = false;

  constructor(private readonly t: KlingTransport) {}

  /**
   * Tasks by Kling's ids, `batchSize` per call. Kling states no maximum: a batch it refuses as
   * invalid is split in half (rounded up), and the smaller size kept. Ids Kling does not return are absent.
   */
  async getMany(ids: readonly string[]): Promise<KlingTask[]> {
    const out: KlingTask[] = [];
    for (let i = 0; i < ids.length;) {
      const chunk = ids.slice(i, i + this.batchSize);
      try {
        out.push(...(await this.t.withRetries('get', READ_RETRIES, () => this.query(chunk, false))));
        i += chunk.length;
      } catch (err) {
        const tooMany = err instanceof KlingError && err.kind === 'invalid_parameter' && chunk.length > 1;
        if (!tooMany) throw err;
        this.batchSize = Math.max(1, Math.ceil(chunk.length / 2));
        this.t.log.info({ batchSize: this.batchSize }, 'kling refused a task batch; asking for fewer at a time');
      }
    }
    return out;
  }

  /** One `GET /tasks` call: by Kling's ids, or by ours (`external_task_ids`). */
  async query(ids: readonly string[], external: boolean): Promise<KlingTask[]> {
    const param = external ? 'external_task_ids' : 'task_ids';
    const { status, body } = await this.t.request('get', 'new', {
      method: 'GET',
      url: TASKS_PATH,
      params: { [param]: ids.join(',') },
    });
    const parsed = NewQueryEnvelope.safeParse(body);
    if (!parsed.success) throw this.t.malformed('get', 'task query body did not match its schema', status);
    return this.t.ok('get', parsed.data.data.map(fromNewTask));
  }

  /**
   * One page of the account's tasks (`POST /tasks`). No time window is sent: Kling's default is the
   * last 30 days, and whether it wants its times as numbers or strings is not settled in its docs.
   * A refusal (not found, invalid) marks the list unsupported, so the poller keeps to batches.
   */
  async listPage(cursor: string | undefined, limit = LIST_LIMIT): Promise<NewListPage> {
    try {
      return await this.t.withRetries('list', READ_RETRIES, async () => {
        const { status, body } = await this.t.request('list', 'new', {
          method: 'POST',
          url: TASKS_PATH,
          data: { limit, ...(cursor ? { cursor } : {}) },
        });
        const parsed = NewListEnvelope.safeParse(body);
        if (!parsed.success) throw this.t.malformed('list', 'task list body did not match its schema', status);
        const { result, next_cursor, has_more } = parsed.data.data;
        const more = has_more !== false && Boolean(next_cursor) && result.length > 0;
        return this.t.ok('list', {
          tasks: result.map(fromNewTask),
          ...(more ? { nextCursor: next_cursor ?? '' } : {}),
        });
      });
    } catch (err) {
      if (err instanceof KlingError && (err.kind === 'not_found' || err.kind === 'invalid_parameter'))
        this.listUnsupported = true;
      throw err;
    }
  }
}
