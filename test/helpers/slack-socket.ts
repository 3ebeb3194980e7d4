import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { FakeSlack } from '../fakes/slack/index.js';

/**
 * Slack's Socket Mode side, small: `apps.connections.open` (app token only) hands out a loopback
 * WebSocket that says `hello`, carries envelopes to the bot and records its acks. Every other Web
 * API call is forwarded unchanged to the fake Slack, so cards are still checked there.
 */
export interface SocketModeGateway {
  /** Use as SLACK_API_URL. */
  apiUrl: string;
  /** Authorization headers apps.connections.open was called with. */
  opens: string[];
  acks: Array<{ envelopeId: string; at: number }>;
  connected(): boolean;
  /** Sends an envelope; resolves with the ms until the bot acked it. */
  deliver(type: 'slash_commands' | 'interactive', payload: Record<string, unknown>): Promise<number>;
  close(): Promise<void>;
}

const Ack = z.object({ envelope_id: z.string() });

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startSocketModeGateway(fake: FakeSlack, appToken: string): Promise<SocketModeGateway> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const wsPort = (wss.address() as AddressInfo).port;
  const sockets = new Set<WebSocket>();
  const opens: string[] = [];
  const acks: SocketModeGateway['acks'] = [];
  const waiters = new Map<string, () => void>();

  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data: Buffer) => {
      const parsed = Ack.safeParse(JSON.parse(data.toString('utf8')));
      if (!parsed.success) return;
      acks.push({ envelopeId: parsed.data.envelope_id, at: Date.now() });
      waiters.get(parsed.data.envelope_id)?.();
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'fake-socket-mode' },
        connection_info: { app_id: 'A0FAKEAPP' },
      }),
    );
  });

  const http = createServer((req, res) => {
    void (async () => {
      const raw = await body(req);
      if (req.url === '/api/apps.connections.open') {
        const auth = req.headers.authorization ?? '';
        opens.push(auth);
        const ok = auth === `Bearer ${appToken}`;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            ok
              ? { ok: true, url: `ws://127.0.0.1:${wsPort}/link/?ticket=${randomBytes(8).toString('hex')}` }
              : { ok: false, error: 'invalid_auth' },
          ),
        );
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'authorization']) {
        const v = req.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      const upstream = await fetch(new URL(req.url ?? '/', fake.baseUrl), {
        method: req.method ?? 'POST',
        headers,
        ...(req.method === 'GET' ? {} : { body: raw }),
      });
      const out: Record<string, string> = {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      };
      const retryAfter = upstream.headers.get('retry-after');
      if (retryAfter) out['retry-after'] = retryAfter;
      res.writeHead(upstream.status, out);
      res.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const apiPort = (http.address() as AddressInfo).port;

  return {
    apiUrl: `http://127.0.0.1:${apiPort}/api/`,
    opens,
    acks,
    connected: () => sockets.size > 0,
    async deliver(type, payload) {
      const [ws] = sockets;
      if (!ws) throw new Error('socket mode gateway: the bot is not connected');
      const envelopeId = randomBytes(12).toString('hex');
      const acked = new Promise<void>((resolve) => waiters.set(envelopeId, resolve));
      const t0 = Date.now();
      ws.send(
        JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type === 'slash_commands' }),
      );
      await acked;
      return Date.now() - t0;
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
