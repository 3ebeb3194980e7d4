import { BotError } from '../errors.js';

/** Classes of provider trouble; each maps to one plain sentence for users. */
export type KlingErrorKind =
  | 'auth'
  | 'balance'
  | 'permission'
  | 'rate_limit'
  | 'concurrency'
  | 'content_policy'
  | 'invalid_parameter'
  | 'not_found'
  | 'server'
  | 'timeout'
  | 'network'
  | 'malformed';

const USER_SENTENCES: Record<KlingErrorKind, string> = {
  auth: 'The bot could not sign in to Kling. An admin needs to check the Kling API keys.',
  balance: 'The Kling account is out of credits or its resource pack has expired. An admin needs to top it up.',
  permission: 'The Kling account has no access to this model or feature.',
  rate_limit: 'Kling is rate limiting us right now; the task will be retried shortly.',
  concurrency: 'The Kling account is running as many tasks as it may; this one waits for a free slot.',
  content_policy: 'Kling refused this prompt or image under its content policy. Try rewording it.',
  invalid_parameter: 'Kling rejected one of the options for this request.',
  not_found: 'Kling does not know this task or model.',
  server: 'Kling is having trouble right now; the bot keeps trying.',
  timeout: 'Kling took too long to answer; the bot keeps trying.',
  network: 'The bot could not reach Kling; it keeps trying.',
  malformed: 'Kling sent an answer the bot could not read; it keeps trying.',
};

/**
 * Which credential a call was made with, so a refusal can say which one the account needs (issue
 * 19): the new standard takes an API key only; the legacy one the access/secret pair, or a key
 * (Kling's docs show its image endpoints with one; for its video endpoints no source says).
 */
export type Credential = 'key' | 'key-legacy' | 'pair' | 'none';

const CREDENTIAL_SENTENCES: Record<Credential, string> = {
  key: "Kling refused the API key (KLING_API_KEY). An admin needs to check it, or create a new one, in Kling's console.",
  'key-legacy':
    "Kling's legacy API refused the API key (KLING_API_KEY) for this request: it needs the account's access key and secret key. An admin needs to set KLING_ACCESS_KEY and KLING_SECRET_KEY from Kling's console.",
  pair: "Kling refused the access key and secret key (KLING_ACCESS_KEY, KLING_SECRET_KEY). An admin needs to check them in Kling's console.",
  none: "This task runs on Kling's new API, which takes an API key only, and none is set. An admin needs to set KLING_API_KEY from Kling's console.",
};

/** Transient kinds: retried with backoff, the card says "delayed" meanwhile. */
const RETRYABLE: ReadonlySet<KlingErrorKind> = new Set(['rate_limit', 'server', 'timeout', 'network', 'malformed']);

export class KlingError extends BotError {
  constructor(
    readonly kind: KlingErrorKind,
    message: string,
    readonly details: {
      httpStatus?: number;
      klingCode?: number;
      retryAfterMs?: number;
      providerMessage?: string;
      credential?: Credential;
    } = {},
    options?: { cause?: unknown },
  ) {
    // Kling's own words say which option or model it refused; they never hold a secret.
    const explained: ReadonlySet<KlingErrorKind> = new Set(['invalid_parameter', 'not_found', 'permission']);
    const extra = explained.has(kind) && details.providerMessage ? ` (Kling: ${details.providerMessage})` : '';
    const sentence =
      kind === 'auth' && details.credential ? CREDENTIAL_SENTENCES[details.credential] : USER_SENTENCES[kind];
    super(`kling_${kind}`, message, sentence + extra, options);
  }
  /** Kling refused the credential this kind of request needs another one for: waiting will not help. */
  get needsOtherCredential(): boolean {
    return this.kind === 'auth' && (this.details.credential === 'key-legacy' || this.details.credential === 'none');
  }
  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

/** Kling's documented code table (Kling API docs, error codes: https://app.klingai.com/global/dev/document-api). */
export function kindForKlingCode(code: number): KlingErrorKind | undefined {
  if (code >= 1000 && code <= 1004) return 'auth';
  if (code >= 1100 && code <= 1102) return 'balance';
  if (code === 1103) return 'permission';
  if (code === 1200 || code === 1201) return 'invalid_parameter';
  if (code === 1202 || code === 1203) return 'not_found';
  if (code === 1300 || code === 1301) return 'content_policy';
  if (code === 1302) return 'rate_limit';
  if (code === 1303) return 'concurrency';
  if (code === 1304) return 'permission';
  if (code === 5002) return 'timeout';
  if (code >= 5000 && code < 6000) return 'server';
  return undefined;
}

export function kindForHttpStatus(status: number): KlingErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limit';
  if (status === 504 || status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return 'invalid_parameter';
}
