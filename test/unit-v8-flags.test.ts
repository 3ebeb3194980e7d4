import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runInChildNode } from './helpers/child-node.js';

const MB = 1048576;

const withFlags = (yes: boolean) => (yes ? "await import('./src/v8-flags.ts');" : '');

/** A child node's young-generation size after allocating short-lived objects, with or without the bot's flags. */
function youngGenerationAfterChurn(withBotFlags: boolean): number {
  return Number(
    runInChildNode([
      withFlags(withBotFlags),
      "const v8 = await import('node:v8');",
      // Tens of MB of garbage that survives a scavenge or two, as loading discord.js and Bolt makes.
      'let keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 50000) keep = []; }',
      "process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size));",
    ]),
  );
}

/**
 * Which tier a hot WebAssembly function (llhttp's kind of code) ends on, with or without the bot's flags.
 * `untilTurboFanMs`: how long to keep it hot waiting for TurboFan. V8 compiles it on a background thread,
 * which a loaded machine may starve for seconds, so a run that expects TurboFan waits for it (ending
 * as soon as it is there); one that expects none runs the ~1 s that tiers it up on an idle machine.
 */
function wasmTierAfterHotLoop(withBotFlags: boolean, untilTurboFanMs: number): string {
  return runInChildNode(
    [
      withFlags(withBotFlags),
      // (module (func (export "f") (param i32) (result i32) local.get 0 i32.const 1 i32.add))
      'const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,6,1,96,1,127,1,127,3,2,1,0,7,5,1,1,102,0,0,10,9,1,7,0,32,0,65,1,106,11]);',
      'const { instance } = await WebAssembly.instantiate(bytes);',
      'const f = instance.exports.f;',
      // Hot, with pauses for the background compile, until V8 has tiered it up or the time is up.
      'let x = 0;',
      `const end = Date.now() + ${untilTurboFanMs};`,
      'for (let round = 0; (round < 15 || Date.now() < end) && !%IsTurboFanFunction(f); round++) { for (let i = 0; i < 2e6; i++) x = f(x) & 0xffff; await new Promise((r) => setTimeout(r, 50)); }',
      "process.stdout.write(%IsTurboFanFunction(f) ? 'turbofan' : %IsLiftoffFunction(f) ? 'liftoff' : 'other');",
    ],
    ['--allow-natives-syntax'],
  );
}

describe('the V8 flags the bot sets itself (src/v8-flags.ts)', () => {
  it('is the first thing main.ts imports, so it runs before discord.js and Bolt allocate or compile', () => {
    const main = readFileSync(new URL('../src/main.ts', import.meta.url), 'utf8');
    expect(/^import\s.*$/m.exec(main)?.[0]).toBe("import './v8-flags.js';");
  });

  it('keeps the young generation at its starting size, where V8 alone grows it to 16 MB or more', () => {
    expect(youngGenerationAfterChurn(false)).toBeGreaterThanOrEqual(16 * MB);
    // Node 26 on a starved machine sometimes still holds extra young pages when it is read (up to 8.5 MB in
    // about 1 run in 10 with three busy loops on two cores; 1-2 MB otherwise), so the best of three runs.
    const flagged = [1, 2, 3].map(() => youngGenerationAfterChurn(true));
    expect(Math.min(...flagged), `runs: ${flagged.join(', ')}`).toBeLessThanOrEqual(4 * MB);
  });

  it('keeps hot WebAssembly on Liftoff on Node 20 and 22, where V8 alone recompiles it with TurboFan (Node 24+ read the flag only at start)', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(wasmTierAfterHotLoop(false, 30_000)).toBe('turbofan');
    expect(wasmTierAfterHotLoop(true, major < 24 ? 0 : 30_000)).toBe(major < 24 ? 'liftoff' : 'turbofan');
  }, 90_000);
});
