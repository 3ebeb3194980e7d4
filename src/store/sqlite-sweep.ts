/**
 * keyv keeps a key's expiry inside its stored value ({"value":…,"expires":ms}) and deletes an
 * expired key only when it is read again. Keys that are never read again — the Slack replay
 * cache, request claims, past days' counters and ledgers — would stay in the SQLite file forever,
 * so a sweep walks the table in rowid order, a batch at a time (the driver is synchronous: one
 * batch is a short pause, never a scan of the whole file), and deletes the rows whose expiry
 * has passed. A row without an expiry (a task record) or not in keyv's form is left alone.
 */

/** The two calls used here; node:sqlite's and libsql's statements both have them. */
export interface SweepStatement {
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): { changes: number | bigint };
}

export interface SweepDatabase {
  prepare(sql: string): SweepStatement;
}

/** Rows looked at per batch. */
export const SWEEP_BATCH = 2000;
/** How often a batch runs. */
export const SWEEP_EVERY_MS = 30_000;

const EXPIRES = `CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END`;

export class ExpirySweep {
  private readonly lastOfBatch: SweepStatement;
  private readonly deleteExpired: SweepStatement;
  /** The batch starts after this rowid; back to 0 once the end of the table is reached. */
  private after = 0;

  constructor(
    db: SweepDatabase,
    table: string,
    private readonly batch = SWEEP_BATCH,
  ) {
    const window = `SELECT rowid FROM ${table} WHERE rowid > ?1 ORDER BY rowid LIMIT ?2`;
    this.lastOfBatch = db.prepare(`SELECT max(rowid) AS last FROM (${window})`);
    this.deleteExpired = db.prepare(
      `DELETE FROM ${table} WHERE rowid IN (${window}) AND typeof(${EXPIRES}) IN ('integer', 'real') AND ${EXPIRES} < ?3`,
    );
  }

  /** One batch: deletes the rows in it whose expiry is before `now`; returns how many. */
  step(now: number): number {
    const row = this.lastOfBatch.get(this.after, this.batch);
    const last = typeof row === 'object' && row !== null && 'last' in row ? Number(row.last) : NaN;
    if (!Number.isFinite(last)) {
      this.after = 0;
      return 0;
    }
    const deleted = Number(this.deleteExpired.run(this.after, this.batch, now).changes);
    this.after = last;
    return deleted;
  }
}
