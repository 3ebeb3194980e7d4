import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('what loading the Slack adapter loads', () => {
  // Bolt's index loads its ExpressReceiver (and so express) even for an app on HTTPReceiver or Socket Mode.
  it('GIVEN src/platforms/slack THEN Bolt loads without express', () => {
    const code = [
      "await import('./src/platforms/slack/index.ts');",
      "const { createRequire } = await import('node:module');",
      'const loaded = Object.keys(createRequire(import.meta.url).cache);',
      "process.stdout.write(JSON.stringify({ bolt: loaded.some((f) => f.includes('/@slack/bolt/')), express: loaded.filter((f) => /\\/node_modules\\/express\\//.test(f)).length }));",
    ].join('\n');
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ bolt: true, express: 0 });
  });
});
