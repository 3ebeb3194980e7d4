import { createHmac } from 'node:crypto';
import type { KlingAuth, KlingCredentials } from '../config.js';
import type { Standard } from '../domain.js';
import { KlingError, type Credential } from './errors.js';

const TOKEN_TTL_S = 1800;
/** Renew this long before `exp`, so a slow request never carries an expired token. */
const RENEW_MARGIN_S = 300;

const b64url = (input: string | Buffer) => Buffer.from(input).toString('base64url');

/** HS256 JWT as Kling specifies: iss = access key, exp = now + 1800 s, nbf = now − 5 s. */
export function mintKlingJwt(accessKey: string, secretKey: string, nowS: number): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iss: accessKey, exp: nowS + TOKEN_TTL_S, nbf: nowS - 5 }));
  const signature = createHmac('sha256', secretKey).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/**
 * Supplies the Authorization header. The JWT is cached and re-minted before it expires (the
 * reference MCP server minted one at start and failed every call after 30 minutes).
 */
export class KlingAuthProvider {
  private cached?: { token: string; renewAtS: number };

  constructor(
    private readonly auth: KlingAuth,
    private readonly nowMs: () => number = Date.now,
  ) {}

  header(): string {
    if (this.auth.type === 'bearer') return `Bearer ${this.auth.apiKey}`;
    const nowS = Math.floor(this.nowMs() / 1000);
    if (!this.cached || nowS >= this.cached.renewAtS) {
      this.cached = {
        token: mintKlingJwt(this.auth.accessKey, this.auth.secretKey, nowS),
        renewAtS: nowS + TOKEN_TTL_S - RENEW_MARGIN_S,
      };
    }
    return `Bearer ${this.cached.token}`;
  }

  /** Kling said 1003/1004 (clock skew or expiry): mint afresh on the next call. */
  invalidate(): void {
    this.cached = undefined;
  }
}

/**
 * The credentials configured, per standard: the new standard takes an API key only; the legacy
 * one the access/secret pair (a JWT), else the key (Kling's docs show its image endpoints with
 * one). `credentialFor` also names, in a refusal, which credential was refused.
 */
export class KlingCredentialSet {
  private readonly jwt?: KlingAuthProvider;

  constructor(
    readonly credentials: KlingCredentials,
    now?: () => number,
  ) {
    if (credentials.pair) this.jwt = new KlingAuthProvider({ type: 'jwt', ...credentials.pair }, now);
  }

  /** From the configured credentials, or the legacy `auth` alone (one of them). */
  static of(credentials: KlingCredentials | undefined, auth: KlingAuth | undefined, now?: () => number) {
    const fromAuth: KlingCredentials =
      auth?.type === 'jwt'
        ? { pair: { accessKey: auth.accessKey, secretKey: auth.secretKey } }
        : auth?.type === 'bearer'
          ? { apiKey: auth.apiKey }
          : {};
    return new KlingCredentialSet(credentials ?? fromAuth, now);
  }

  get hasKey(): boolean {
    return Boolean(this.credentials.apiKey);
  }

  credentialFor(standard: Standard): Credential {
    if (standard === 'new') return this.credentials.apiKey ? 'key' : 'none';
    return this.credentials.pair ? 'pair' : this.credentials.apiKey ? 'key-legacy' : 'none';
  }

  headers(standard: Standard): { Authorization: string } {
    const credential = this.credentialFor(standard);
    if (credential === 'none')
      throw new KlingError('auth', `no credential for the ${standard} standard`, { credential: 'none' });
    const header = credential === 'pair' && this.jwt ? this.jwt.header() : `Bearer ${this.credentials.apiKey ?? ''}`;
    return { Authorization: header };
  }

  /** Kling said 1003/1004 (clock skew or expiry): a fresh JWT on the next call. */
  invalidate(): void {
    this.jwt?.invalidate();
  }
}
