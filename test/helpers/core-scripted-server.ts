import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One canned HTTP answer, shaped like a recorded Kling (or gateway) reply. */
export interface ScriptedAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ScriptedServer {
  url: string;
  /** Requests seen, in order. */
  requests: Array<{ method: string; path: string; authorization?: string }>;
  close(): Promise<void>;
}

/**
 * A loopback server that answers every request with the next scripted answer (the last one
 * repeats). Only for Kling answers the simulator cannot produce (account codes 1001, 1101,
 * 1102, 1103), so the real client and its real HTTP stack still do the parsing.
 */
export async function startScriptedServer(answers: readonly ScriptedAnswer[]): Promise<ScriptedServer> {
  const requests: ScriptedServer['requests'] = [];
  let i = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      requests.push({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      });
      const answer = answers[Math.min(i++, answers.length - 1)];
      const payload = JSON.stringify(answer?.body ?? {});
      res.writeHead(answer?.status ?? 500, { 'content-type': 'application/json', ...answer?.headers });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
