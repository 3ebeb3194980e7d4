import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import type { KlingAuth, KlingCredentials } from '../config.js';
import type { Standard } from '../domain.js';
import { silentLogger, type Logger } from '../log.js';
import { KlingCredentialSet } from './auth.js';
import { KlingError, kindForHttpStatus, kindForKlingCode, type KlingErrorKind } from './errors.js';
import { ErrorBody } from './schemas.js';

export type KlingOp = 'create' | 'get' | 'list' | 'account';

export interface TransportOptions {
  baseUrl: string;
  /** The credentials configured; `auth` alone is one of them (the legacy standard's). */
  credentials?: KlingCredentials;
  auth?: KlingAuth;
  timeoutMs?: number;
  /** Extra attempts after the first, for transient trouble. */
  retries?: number;
  backoffBaseMs?: number;
  log?: Logger;
  now?: () => number;
  /** Observes every HTTP call (metrics). */
  onCall?: (op: KlingOp, outcome: 'ok' | KlingErrorKind) => void;
}

/** Largest Kling answer read (a list page of 500 tasks is well under 1 MiB), and largest body sent. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Trouble worth asking again about; reads add Kling's rate limit. */
export const TRANSIENT: ReadonlySet<KlingErrorKind> = new Set(['server', 'timeout', 'network', 'malformed']);
export const READ_RETRIES: ReadonlySet<KlingErrorKind> = new Set([...TRANSIENT, 'rate_limit']);

/** An answer Kling did not mark as an error: its HTTP status and its body as JSON (undefined if unreadable). */
export interface Answer {
  status: number;
  body: unknown;
}

/**
 * HTTP to Kling, for both API standards: one axios instance, the credential each standard takes,
 * every error answer classified into a KlingError (naming the refused credential), reads retried
 * with backoff and jitter. What the bodies mean is the caller's business.
 */
export class KlingTransport {
  readonly credentials: KlingCredentialSet;
  readonly log: Logger;
  private readonly http: AxiosInstance;
  private readonly retries: number;
  private readonly backoffBaseMs: number;

  constructor(private readonly o: TransportOptions) {
    this.http = axios.create({
      baseURL: o.baseUrl.replace(/\/+$/, ''),
      timeout: o.timeoutMs ?? 15_000,
      // We read every status and body ourselves, so nothing throws with a raw body attached.
      validateStatus: () => true,
      // A redirect is never Kling's answer: it is read as the error it is, never followed (it could
      // carry the Authorization header elsewhere). Bodies are bounded: a task page is kilobytes.
      maxRedirects: 0,
      maxContentLength: MAX_BODY_BYTES,
      maxBodyLength: MAX_BODY_BYTES,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'kling-bot' },
    });
    this.credentials = KlingCredentialSet.of(o.credentials, o.auth, o.now);
    this.retries = o.retries ?? 3;
    this.backoffBaseMs = o.backoffBaseMs ?? 250;
    this.log = o.log ?? silentLogger;
  }

  /**
   * One HTTP call with the standard's credential. An error answer throws a KlingError, except a
   * 404 when `passNotFound` (a gateway without a list endpoint), which is returned for the caller.
   */
  async request(
    op: KlingOp,
    standard: Standard,
    config: AxiosRequestConfig,
    opts: { passNotFound?: boolean } = {},
  ): Promise<Answer> {
    const headers = this.credentials.headers(standard);
    const res = await this.send(op, () => this.http.request<string>({ ...config, headers }));
    const body = json(res);
    if (!(opts.passNotFound && res.status === 404)) this.throwIfError(res, body, op, standard);
    return { status: res.status, body };
  }

  /** Reports a parsed answer (metrics) and hands back the value. */
  ok<T>(op: KlingOp, value: T): T {
    this.o.onCall?.(op, 'ok');
    return value;
  }

  /** An answer whose body did not match its schema. */
  malformed(op: KlingOp, what: string, httpStatus: number): KlingError {
    this.o.onCall?.(op, 'malformed');
    return new KlingError('malformed', `kling ${op}: ${what}`, { httpStatus });
  }

  async withRetries<T>(op: KlingOp, retryOn: ReadonlySet<KlingErrorKind>, attempt: () => Promise<T>): Promise<T> {
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

  private async send(op: KlingOp, call: () => Promise<AxiosResponse<string>>): Promise<AxiosResponse<string>> {
    try {
      return await call();
    } catch (cause) {
      const timedOut = axios.isAxiosError(cause) && (cause.code === 'ECONNABORTED' || cause.code === 'ETIMEDOUT');
      const kind: KlingErrorKind = timedOut ? 'timeout' : 'network';
      this.o.onCall?.(op, kind);
      // Only the code: axios errors carry the request config, headers included.
      const code = axios.isAxiosError(cause) ? cause.code : undefined;
      throw new KlingError(kind, `kling ${op} failed: ${code ?? 'network error'}`);
    }
  }

  /** Classifies by HTTP status and Kling code; a failed *task* is a 200/code 0 and is not an error here. */
  private throwIfError(res: AxiosResponse<string>, body: unknown, op: KlingOp, standard: Standard): void {
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
    this.o.onCall?.(op, kind);
    throw new KlingError(kind, `kling ${op} answered HTTP ${res.status} code ${klingCode ?? '-'}`, {
      httpStatus: res.status,
      ...(klingCode !== undefined ? { klingCode } : {}),
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      ...(providerMessage ? { providerMessage: providerMessage.slice(0, 200) } : {}),
      ...(kind === 'auth' ? { credential: this.credentials.credentialFor(standard) } : {}),
    });
  }
}

function json(res: AxiosResponse<string>): unknown {
  try {
    return JSON.parse(res.data);
  } catch {
    return undefined;
  }
}
