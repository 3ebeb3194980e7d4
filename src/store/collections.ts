import type { TaskRecord } from '../domain.js';
import type { AdmitRefusal, UnitsCharge } from './units-ledger.js';

/**
 * What one backend keeps for the task records: the records themselves (each backend serialises
 * its own), the indexes, the in-flight set and the deleted counts. Two backends: keyv (SQLite or
 * memory: one process, so an in-process mutex per key makes read-modify-writes safe;
 * kv-collections.ts) and Redis (several replicas: native lists, sets and counters, each change
 * one atomic command or script; redis-collections.ts). records.ts holds what both share.
 */

/** A new task's writes, done together by `Collections.admit`. */
export interface Admission {
  record: TaskRecord;
  /** Lists the id is appended to (newest last). */
  indexes: readonly string[];
  /** Whether the id joins the in-flight set (what a restart resumes). */
  inflight: boolean;
  /** The server's day counter: refused, with nothing written, when it is already at `cap` (0 = no cap). */
  counter: { key: string; cap: number; ttlMs: number };
  /** The task's units, checked against the day's budgets and counted in the same step. */
  units?: UnitsCharge;
}

export interface Collections {
  /** The stored values of these records (undefined where absent), in order; parsing is the caller's. */
  readRecords(ids: readonly string[]): Promise<unknown[]>;
  /** Every record's id, in no order: a full walk, for operators' tools (`npm run rehost`) only. */
  recordIds(): Promise<string[]>;
  writeRecord(record: TaskRecord): Promise<void>;
  /** Our id for a Kling task id, as stored (undefined when unknown). */
  klingTarget(klingTaskId: string): Promise<unknown>;
  setKlingTarget(klingTaskId: string, id: string): Promise<void>;
  /**
   * Writes a new record, its index entries, its in-flight mark and the day counts; the refusal, with nothing
   * written, when a cap or budget would be passed.
   */
  admit(a: Admission): Promise<AdmitRefusal | undefined>;
  indexLength(index: string): Promise<number>;
  /** Up to `count` ids, newest first, starting `from` places back from the newest (0 = the newest). */
  newest(index: string, from: number, count: number): Promise<string[]>;
  setInflight(id: string, present: boolean): Promise<void>;
  inflightIds(): Promise<string[]>;
  /** A counter that never expires (the deleted counts). */
  counter(key: string): Promise<number>;
  increment(key: string): Promise<void>;
}
