import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Core } from './core.js';
import { HintDebouncer, metricsAccess, sameSecret } from './http-guards.js';

const MAX_CALLBACK_BYTES = 1_000_000;
/** /healthz waits this long for the store before calling it down. */
const HEALTH_STORE_TIMEOUT_MS = 2000;

/** Bounds on what one client can hold (slow headers, slow bodies, idle sockets, many sockets). */
export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** How often Node checks the two timeouts above. */
  checkIntervalMs: number;
  /** Kling callbacks naming one task: at most one re-fetch at once and one at the end of each such window. */
  hintWindowMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_000,
  checkIntervalMs: 1_000,
  hintWindowMs: 1_000,
};
/**
 * Only the task id is read from a callback (bare task object, or wrapped in the envelope): the body is never
 * believed.
 */
const Named = z.object({
  task_id: z.string().min(1).optional(),
  id: z.string().min(1).optional(),
  external_id: z.string().min(1).optional(),
  task_info: z.object({ external_task_id: z.string().min(1).optional() }).optional(),
});
/**
 * Kling's legacy callback is the task object (`task_id`), bare or in the envelope; the new
 * standard's is not in its docs, so any of `id`, `task_id` or `external_id` names the task.
 */
const CallbackTaskId = z
  .union([z.object({ data: Named }), Named])
  .transform((b) => ('data' in b ? b.data : b))
  .transform((b) => b.task_id ?? b.id ?? b.external_id ?? b.task_info?.external_task_id);

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8') => {
  res.writeHead(status, { 'Content-Type': type });
  res.end(body);
};

/**
 * The bot's one HTTP server: /healthz, /metrics, /kling/callback/<token>; adapters mount more
 * (Slack's /slack/events) with `mount`.
 */
export class HttpServer {
  private readonly server: Server;
  private readonly mounts: Array<{ prefix: string; listener: RequestListener }> = [];
  private accepting = true;
  /** Kling callbacks: one re-fetch per task per second, however many arrive. */
  private readonly hints: HintDebouncer;

  constructor(
    private readonly core: Core,
    limits: Partial<HttpLimits> = {},
  ) {
    const l = { ...DEFAULT_HTTP_LIMITS, ...limits };
    this.server = createServer(
      {
        headersTimeout: l.headersTimeoutMs,
        requestTimeout: l.requestTimeoutMs,
        keepAliveTimeout: l.keepAliveTimeoutMs,
        connectionsCheckingInterval: l.checkIntervalMs,
      },
      (req, res) => void this.route(req, res),
    );
    this.server.maxConnections = l.maxConnections;
    this.hints = new HintDebouncer((klingTaskId) => void this.core.tracker.hint(klingTaskId), l.hintWindowMs);
  }

  mount(prefix: string, listener: RequestListener): void {
    this.mounts.push({ prefix, listener });
  }

  listen(port: number, host = '0.0.0.0'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /** Stop taking requests (shutdown); health turns 503 so a balancer moves traffic away. */
  stopAccepting(): void {
    this.accepting = false;
  }

  close(): Promise<void> {
    this.hints.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      if (path === '/healthz') return await this.health(res);
      if (path === '/metrics') {
        const { env } = this.core.config;
        const exposed = Boolean(env.PUBLIC_URL) || Boolean(this.core.config.slack && !this.core.config.slack.appToken);
        const access = metricsAccess(req.socket.remoteAddress, req.headers.authorization, env.METRICS_TOKEN, exposed);
        if (access === 'hidden') return send(res, 404, 'not found');
        if (access === 'denied') {
          res.writeHead(401, {
            'Content-Type': 'text/plain; charset=utf-8',
            'WWW-Authenticate': 'Bearer realm="metrics"',
          });
          return void res.end('metrics need METRICS_TOKEN, or a request from this machine');
        }
        this.core.metrics.tasksByState.reset();
        for (const [state, n] of this.core.tracker.countByState()) this.core.metrics.tasksByState.set({ state }, n);
        this.core.metrics.queueLength.set(this.core.tracker.queueLength());
        return send(res, 200, await this.core.metrics.scrape(), this.core.metrics.registry.contentType);
      }
      if (path.startsWith('/kling/callback/') && req.method === 'POST')
        return await this.callback(path.slice('/kling/callback/'.length), req, res);
      const mount = this.mounts.find((m) => path.startsWith(m.prefix));
      if (mount) {
        if (!this.accepting) return send(res, 503, 'stopping');
        return mount.listener(req, res);
      }
      send(res, 404, 'not found');
    } catch (err) {
      this.core.log.error({ err, path }, 'http handler failed');
      if (!res.headersSent) send(res, 500, 'error');
    }
  }

  /** 200 while taking requests and the store answers; 503 when stopping or the store is down. */
  private async health(res: ServerResponse): Promise<void> {
    if (!this.accepting) return send(res, 503, 'stopping');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error('store ping timed out')), HEALTH_STORE_TIMEOUT_MS)),
    );
    try {
      await Promise.race([this.core.storage.ping(), timeout]);
      send(res, 200, 'ok');
    } catch (err) {
      this.core.log.warn({ err }, 'health check: store unavailable');
      send(res, 503, 'store unavailable');
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A callback is a hint: we only learn which task to re-fetch; its body is never trusted. Known
   * and unknown tasks get the same answer (no oracle for guessing ids), and hints are debounced
   * per task, so a flood of valid callbacks cannot turn into a flood of Kling calls.
   */
  private async callback(token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!sameSecret(token, this.core.callbackToken)) return send(res, 404, 'not found');
    const raw = await readBody(req, MAX_CALLBACK_BYTES);
    let body: unknown;
    try {
      body = raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const taskId = CallbackTaskId.safeParse(body).data;
    if (!taskId) return send(res, 400, 'unreadable callback');
    this.hints.hint(taskId);
    send(res, 200, 'ok');
  }
}
