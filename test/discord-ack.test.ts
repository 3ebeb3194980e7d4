/**
 * The adapter's fast path for interaction callbacks (src/platforms/discord/ack.ts) against a bare
 * HTTP server that misbehaves the way a keep-alive peer can: closing a connection just as a
 * request is written on it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AckError, InteractionAcker } from '../src/platforms/discord/ack.js';
import type { DiscordInteraction } from '../src/platforms/discord/handles.js';

type Behaviour = (req: IncomingMessage, res: ServerResponse, seen: number) => void;

let server: Server | undefined;
let acker: InteractionAcker | undefined;

afterEach(async () => {
  await acker?.close();
  acker = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server that answers each callback path by `behave`, counting how often each path was seen. */
async function start(behave: Behaviour): Promise<{ seen: Map<string, number>; acked: Set<string>; bodies: string[] }> {
  const seen = new Map<string, number>();
  const acked = new Set<string>();
  const bodies: string[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      const path = req.url ?? '';
      const n = (seen.get(path) ?? 0) + 1;
      seen.set(path, n);
      behave(req, res, n);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  acker = new InteractionAcker(`http://127.0.0.1:${port}/api`);
  return { seen, acked, bodies };
}

const interaction = (id: string) =>
  ({ id, token: `token-${id}`, deferred: false, ephemeral: null }) as unknown as DiscordInteraction;
const pathOf = (id: string) => `/api/v10/interactions/${id}/token-${id}/callback`;
const noContent = (res: ServerResponse) => res.writeHead(204).end();

describe('InteractionAcker', () => {
  it("sends the deferred callback once, ephemeral as asked, and leaves discord.js's own flags alone", async () => {
    const { seen, bodies } = await start((_req, res) => noContent(res));
    const i = interaction('1');
    await acker?.deferReply(i, true);
    expect(seen.get(pathOf('1'))).toBe(1);
    expect(JSON.parse(bodies[0] ?? '{}')).toEqual({ type: 5, data: { flags: 64 } });
    // The adapter never calls discord.js's reply methods, so it never sets their state.
    expect(i.deferred).toBe(false);
    expect(i.ephemeral).toBe(null);
  });

  it('re-sends once on a fresh connection when a kept-alive one is closed under the callback', async () => {
    const { seen } = await start((req, res, n) => {
      // The second interaction's first copy meets a connection the server has just dropped.
      if (req.url === pathOf('2') && n === 1) return req.socket.destroy();
      noContent(res);
    });
    await acker?.deferReply(interaction('1'), false);
    await acker?.deferReply(interaction('2'), false);
    expect(seen.get(pathOf('2'))).toBe(2);
  });

  it('counts the interaction acknowledged when the dropped copy had arrived (40060 on the re-send)', async () => {
    const { seen } = await start((req, res, n) => {
      if (req.url !== pathOf('2')) return noContent(res);
      if (n === 1) return req.socket.destroy();
      res
        .writeHead(400, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ code: 40060, message: 'Interaction has already been acknowledged.' }));
    });
    await acker?.deferReply(interaction('1'), false);
    // Resolves (acknowledged) rather than rejecting with the re-send's 40060.
    await expect(acker?.deferReply(interaction('2'), false)).resolves.toBeUndefined();
    expect(seen.get(pathOf('2'))).toBe(2);
  });

  it('does not re-send a refused callback or one whose new connection failed', async () => {
    const { seen } = await start((req, res) => {
      if (req.url === pathOf('late'))
        return res
          .writeHead(404, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ code: 10062, message: 'Unknown interaction' }));
      req.socket.destroy();
    });
    const refused = await acker?.deferReply(interaction('late'), false).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AckError);
    expect((refused as AckError).code).toBe(10062);
    // The refusal's connection is reused here, so the drop is re-sent once; the second copy, on a fresh connection, is
    // not.
    await expect(acker?.deferReply(interaction('3'), false)).rejects.toThrow(/socket hang up/);
    expect(seen.get(pathOf('3'))).toBe(2);
    expect(seen.get(pathOf('late'))).toBe(1);
  });
});
