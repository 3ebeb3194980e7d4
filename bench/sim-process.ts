/**
 * The Kling simulator in a process of its own (tools/kling-simulator/simulator-cli.ts), as the benches run it: Kling
 * is another machine, and a simulator sharing an event loop with the fake Discord or Slack makes each wait for the
 * other (a result download queued behind the fake reading an upload). Its records are read over its /__sim/
 * endpoints; its clock is this machine's `Date.now`, as the fakes' is, so their times compare.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';

const SimTask = z.object({
  taskId: z.string(),
  externalTaskId: z.string().optional(),
  createdAt: z.number(),
  finishedAt: z.number(),
});
export type SimTask = z.infer<typeof SimTask>;

const SimCall = z.object({
  at: z.number(),
  method: z.string(),
  path: z.string(),
  op: z.enum(['create', 'get', 'list', 'account', 'media', 'other']),
  status: z.number(),
});
export type SimCall = z.infer<typeof SimCall>;

const Stats = z.object({ tasks: z.array(SimTask) });

export interface SimulatorProcessOptions {
  accessKey: string;
  secretKey: string;
  timing?: { submittedMs?: number; processingMs?: number; jitter?: number };
  /** Every result file served as this many bytes of mp4 (else the simulator's tiny file). */
  mediaBytes?: number;
}

export interface SimulatorProcess {
  /** The API base URL the bot is given, and the origin its result files are served from. */
  url: string;
  origin: string;
  /** Every task the simulator holds, in creation order. */
  tasks(): Promise<SimTask[]>;
  /** Every call it answered, in order (without credentials or bodies). */
  calls(): Promise<SimCall[]>;
  close(): Promise<void>;
}

export async function startSimulatorProcess(o: SimulatorProcessOptions): Promise<SimulatorProcess> {
  const args = ['--import', 'tsx', 'tools/kling-simulator/simulator-cli.ts', '--port', '0'];
  args.push('--access-key', o.accessKey, '--secret-key', o.secretKey);
  const flags = {
    'submitted-ms': o.timing?.submittedMs,
    'processing-ms': o.timing?.processingMs,
    jitter: o.timing?.jitter,
    'media-bytes': o.mediaBytes,
  };
  for (const [flag, value] of Object.entries(flags)) if (value !== undefined) args.push(`--${flag}`, String(value));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  // A bench that throws or exits early must not leave the simulator running.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => process.off('exit', reap));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the Kling simulator exited with ${code} before listening`)));
  });
  const { url, origin } = z.object({ url: z.string(), origin: z.string() }).parse(JSON.parse(line));
  const read = async <T>(path: string, schema: z.ZodType<T>): Promise<T> => {
    const res = await fetch(`${origin}${path}`);
    if (!res.ok) throw new Error(`the Kling simulator answered ${path} with ${res.status}`);
    return schema.parse(await res.json());
  };
  return {
    url,
    origin,
    tasks: async () => (await read('/__sim/stats', Stats)).tasks,
    calls: () => read('/__sim/calls', z.array(SimCall)),
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
