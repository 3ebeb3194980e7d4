import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Core } from './core.js';

const MAX_CALLBACK_BYTES = 1_000_000;
/** Only the task id is read from a callback (bare task object, or wrapped in the envelope): the body is never believed. */
const CallbackTaskId = z.union([z.object({ task_id: z.string().min(1) }), z.object({ data: z.object({ task_id: z.string().min(1) }) })]).transform((b) => ('data' in b ? b.data.task_id : b.task_id));

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

  constructor(private readonly core: Core) {
    this.server = createServer((req, res) => void this.route(req, res));
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
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      if (path === '/healthz') return send(res, this.accepting ? 200 : 503, this.accepting ? 'ok' : 'stopping');
      if (path === '/metrics') {
        this.core.metrics.tasksByState.reset();
        for (const [state, n] of this.core.tracker.countByState()) this.core.metrics.tasksByState.set({ state }, n);
        this.core.metrics.queueLength.set(this.core.tracker.queueLength());
        return send(res, 200, await this.core.metrics.scrape(), this.core.metrics.registry.contentType);
      }
      if (path.startsWith('/kling/callback/') && req.method === 'POST') return await this.callback(path.slice('/kling/callback/'.length), req, res);
      const mount = this.mounts.find((m) => path.startsWith(m.prefix));
      if (mount) {
        if (!this.accepting) return send(res, 503, 'stopping');
        return mount.listener(req, res);
      }
      send(res, 404, 'not found');
    } catch (err) {
      this.core.log.error({ err: err instanceof Error ? err.message : String(err), path }, 'http handler failed');
      if (!res.headersSent) send(res, 500, 'error');
    }
  }

  /** A callback is a hint: we only learn which task to re-fetch; its body is never trusted. */
  private async callback(token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (token !== this.core.callbackToken) return send(res, 404, 'not found');
    const raw = await readBody(req, MAX_CALLBACK_BYTES);
    let body: unknown;
    try {
      body = raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const taskId = CallbackTaskId.safeParse(body).data;
    if (!taskId) return send(res, 400, 'unreadable callback');
    const known = this.core.tracker.hint(taskId);
    send(res, 200, known ? 'ok' : 'ignored');
  }
}
