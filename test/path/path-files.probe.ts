/**
 * The command path, measured (docs/architecture.md, "The command path"): which product files (src/,
 * commands/) run code for one Discord /video, from the gateway event until the Kling simulator has
 * the create. V8 precise coverage (function call counts, node:inspector) is reset after a warm-up
 * /video in the same channel; the simulator holds the create's answer back, so nothing after the
 * create runs in the window, and the tracker's timer is set to 10 minutes so no poll tick falls in
 * it. The getters vitest's module runner reads imported bindings through are left out (plain Node
 * has none). The configuration is the default one otherwise (USER_MAX_ACTIVE_TASKS 2,
 * USER_MAX_DAILY_TASKS 20, the memory store). Run it on any version with `npm run path-files`; it
 * only uses the harness.
 */
import { Session } from 'node:inspector/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { ALICE, CH_A1, startBot, startFake, startSim, video } from '../helpers/discord-harness.js';

const productFile = (url: string): string | undefined => {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = relative(process.cwd(), path.split('?')[0] ?? path);
  return /^(src|commands)\//.test(rel) ? rel : undefined;
};

const EXPORT_GETTER = /^\(\) => \{\s*try \{\s*return [\w$]+;?\s*\} catch \{\s*\}\s*\}/;

const waitUntil = async (done: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setImmediate(r));
};

it('prints the product files a Discord /video runs code in, from the gateway to the Kling create', async () => {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  const sim = await startSim();
  const fake = await startFake();
  const env = { POLL_INTERVAL_MS: '600000', USER_MAX_ACTIVE_TASKS: '2', USER_MAX_DAILY_TASKS: '20' };
  const bot = await startBot(sim, fake, { env });
  try {
    const warm = await fake.sendCommand(video(CH_A1, ALICE, 'a warm-up fox'));
    await fake.waitFor(() => warm.ackedAt !== undefined, 5000);
    await waitUntil(() => sim.tasks().length === 1, 10_000);
    // Its create answered and its card edited: the window below holds only the second command.
    await new Promise((r) => setTimeout(r, 1500));
    sim.faults.add({ kind: 'slow', on: 'create', times: 1, delayMs: 8000 });
    await session.post('Profiler.takePreciseCoverage');
    void fake.sendCommand(video(CH_A1, ALICE, 'a red fox running through snow'));
    await waitUntil(() => sim.tasks().length === 2, 10_000);
    const { result } = await session.post('Profiler.takePreciseCoverage');
    expect(sim.tasks()).toHaveLength(2);
    // vitest's module runner reads an imported binding through a getter of the exporting module;
    // plain Node does not, so those getters are not counted.
    await session.post('Debugger.enable');
    const ran = new Map<string, Set<string>>();
    for (const script of result) {
      const file = productFile(script.url);
      if (!file) continue;
      const { scriptSource } = await session.post('Debugger.getScriptSource', { scriptId: script.scriptId });
      const called = script.functions.filter(
        (f) =>
          (f.ranges[0]?.count ?? 0) > 0 &&
          !EXPORT_GETTER.test(scriptSource.slice(f.ranges[0]?.startOffset, (f.ranges[0]?.startOffset ?? 0) + 80)),
      );
      if (called.length > 0) ran.set(file, new Set(called.map((f) => f.functionName || '(anonymous)')));
    }
    const files = [...ran.keys()].sort();
    console.log(
      [`${files.length} product files`, ...files.map((f) => `${f}: ${[...ran.get(f)!].join(', ')}`)].join('\n'),
    );
  } finally {
    await bot.close();
    await fake.close();
    await sim.close();
  }
});
