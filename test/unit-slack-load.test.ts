import { describe, expect, it } from 'vitest';
import { runInChildNode } from './helpers/child-node.js';

describe('what loading the Slack adapter loads', () => {
  // Bolt's index loads its ExpressReceiver (and so express) even for an app on HTTPReceiver or Socket Mode.
  it('GIVEN src/platforms/slack THEN Bolt loads without express', () => {
    const out = runInChildNode([
      "await import('./src/platforms/slack/index.ts');",
      "const { createRequire } = await import('node:module');",
      'const loaded = Object.keys(createRequire(import.meta.url).cache);',
      "process.stdout.write(JSON.stringify({ bolt: loaded.some((f) => f.includes('/@slack/bolt/')), express: loaded.filter((f) => /\\/node_modules\\/express\\//.test(f)).length }));",
    ]);
    expect(JSON.parse(out)).toEqual({ bolt: true, express: 0 });
  });
});
