import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The bot as a user runs it (`src/main.ts` in its own process), for the kill-and-restart tests. */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ChildBot {
  proc: ChildProcess;
  port: number;
  /** stdout + stderr, as written. */
  output: () => string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: the crash the tracker must survive. */
  kill(): Promise<void>;
}

/** The bot from its TypeScript sources; the build is tested on its own (test/runtime-build.test.ts). */
const FROM_SOURCES = [process.execPath, '--import', 'tsx', 'src/main.ts'];

/**
 * `node --import tsx src/main.ts` (or `command`) with only the given environment (plus PATH); ready once it logs
 * that it runs. A fixed port lets a restarted bot keep the PUBLIC_URL Kling calls back on.
 */
export async function startBotProcess(
  env: Record<string, string>,
  timeoutMs = 25_000,
  command: readonly string[] = FROM_SOURCES,
  fixedPort?: number,
): Promise<ChildBot> {
  const port = fixedPort ?? (await freePort());
  const [file = process.execPath, ...args] = command;
  const proc = spawn(file, args, {
    cwd: REPO_ROOT,
    // A developer's own .env must not leak into the bot under test.
    env: { PATH: process.env['PATH'] ?? '', KLINGBOT_ENV_FILE: 'none', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  proc.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const deadline = Date.now() + timeoutMs;
  while (!out.includes('"kling-bot is running"')) {
    if (proc.exitCode !== null) throw new Error(`bot exited with ${proc.exitCode} before it ran:\n${out}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`bot did not start within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const end = async (signal: NodeJS.Signals) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 8000);
    await exited;
    clearTimeout(timer);
  };
  return { proc, port, output: () => out, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}
