import { createServer, type AddressInfo } from 'node:net';
import { HttpServer, type HttpLimits } from '../../src/http.js';
import type { KlingSimulator } from '../../tools/kling-simulator/simulator.js';
import { makeCore, type Cleanup, type CoreRig } from './core-harness.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Bot extends CoreRig {
  base: string;
  http: HttpServer;
}

/** A core whose PUBLIC_URL is its own HTTP server, as in production (Kling's callbacks reach it). */
export async function botWithHttp(
  cleanup: Cleanup,
  sim: Pick<KlingSimulator, 'url'>,
  env: Record<string, string> = {},
  limits: Partial<HttpLimits> = {},
): Promise<Bot> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const rig = await makeCore(cleanup, sim, { PUBLIC_URL: base, ...env });
  const http = new HttpServer(rig.core, limits);
  await http.listen(port, '127.0.0.1');
  cleanup.add(() => http.close());
  return { ...rig, base, http };
}
