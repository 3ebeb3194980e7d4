import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { REPO_ROOT } from './bot-process.js';

/**
 * Runs `lines` as an ES module in a fresh node (the sources through tsx, from the repository's
 * root), so what it measures is not disturbed by this test process; returns its stdout and
 * expects nothing on stderr.
 */
export function runInChildNode(lines: readonly string[], nodeFlags: readonly string[] = []): string {
  const run = spawnSync(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', '--input-type=module', '-e', lines.join('\n')],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  expect(run.stderr).toBe('');
  return run.stdout;
}
