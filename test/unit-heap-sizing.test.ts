import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MB = 1048576;

/** A child node's young-generation size after allocating short-lived objects, with or without the bot's heap sizing. */
function youngGenerationAfterChurn(withHeapSizing: boolean): number {
  const code = [
    withHeapSizing ? "await import('./src/heap-sizing.ts');" : '',
    "const v8 = await import('node:v8');",
    // Tens of MB of garbage that survives a scavenge or two, as loading discord.js and Bolt makes.
    'let keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 50000) keep = []; }',
    "process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size));",
  ].join('\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return Number(run.stdout);
}

describe('heap sizing (src/heap-sizing.ts)', () => {
  it('is the first thing main.ts imports, so it runs before discord.js and Bolt allocate', () => {
    const main = readFileSync(new URL('../src/main.ts', import.meta.url), 'utf8');
    expect(/^import\s.*$/m.exec(main)?.[0]).toBe("import './heap-sizing.js';");
  });

  it('keeps the young generation at its starting size, where V8 alone grows it to 16 MB or more', () => {
    expect(youngGenerationAfterChurn(false)).toBeGreaterThanOrEqual(16 * MB);
    expect(youngGenerationAfterChurn(true)).toBeLessThanOrEqual(4 * MB);
  });
});
