import { describe, expect, it } from 'vitest';
import { runInChildNode } from './helpers/child-node.js';

/**
 * Runs `body` in a child node with V8's natives syntax (%HaveSameMap), after `prelude`, and returns
 * how many of the objects it leaves in `kept` have a hidden class other than the first one's.
 */
function distinctShapes(prelude: string, body: string): number {
  const out = runInChildNode(
    [
      prelude,
      'const kept = [];',
      body,
      // eval keeps %HaveSameMap out of tsx's parser; the flag is on for the whole process.
      "const same = new Function('a', 'b', 'return %HaveSameMap(a, b)');",
      'process.stdout.write(String(kept.filter((o) => !same(kept[0], o)).length));',
    ],
    ['--allow-natives-syntax'],
  );
  return Number(out);
}

// A handle made as the Discord port makes a moved one: spread, plus a key the original lacks.
const MOVED = 'const moved = (h, i) => ({ ...h, messageId: String(1e17 + i) });';
const HANDLE =
  "const handle = (i) => ({ applicationId: 'a', guildId: 'g', channelId: 'c', route: 'webhook', token: 't' + i, tokenExpiresAt: Date.now() + 9e5, target: '@original' });";

describe('objects kept per task share their hidden class (src/shared-shape.ts)', () => {
  it('GIVEN 2,000 spread-made handles THEN their sharedShape copies all have one hidden class', () => {
    const shapes = distinctShapes(
      `${HANDLE}\n${MOVED}\nconst { sharedShape } = await import('./src/shared-shape.ts');`,
      'for (let i = 0; i < 2000; i++) kept.push(sharedShape(moved(handle(i), i)));',
    );
    expect(shapes).toBe(0);
  });

  it('GIVEN 300 cards whose first edit moves the handle THEN the outbox keeps handles of one hidden class', () => {
    const prelude = [
      HANDLE,
      MOVED,
      "const { ChannelOutbox } = await import('./src/outbox/channel-outbox.ts');",
      "const { Metrics } = await import('./src/metrics.ts');",
      "const { silentLogger } = await import('./src/log.ts');",
      "const scope = { platform: 'console', guildId: 'g', channelId: 'c', userId: 'u', userName: 'u' };",
      "const view = (taskId, statusLine) => ({ taskId, kind: 'text2video', state: 'processing', tone: 'active', title: 't', statusLine, prompt: 'p', fields: [], requester: { id: 'u', name: 'u' }, startedAt: 0, media: [], buttons: [], fallbackText: statusLine });",
      "let n = 0; const port = { platform: 'console', initialRate: { limit: 1e9, windowMs: 1000 }, edit: async (h) => ({ value: h.messageId ? undefined : moved(h, n++) }), post: async () => ({ value: {} }), delete: async () => ({ value: undefined }), replyPrivate: async () => ({ value: undefined }) };",
      "const outbox = new ChannelOutbox('console:g:c', { port, log: silentLogger, metrics: new Metrics(), now: Date.now, onPosted: async () => {}, onShown: () => {}, onGone: () => {} });",
    ].join('\n');
    const body = [
      "for (let i = 0; i < 300; i++) { outbox.attach('t' + i, scope, handle(i), 'old'); outbox.offer('t' + i, view('t' + i, 'new')); }",
      'while (outbox.pendingCount() > 0) await new Promise((r) => setTimeout(r, 5));',
      "for (const slot of Reflect.get(outbox, 'cards').values()) kept.push(slot.handle);",
      'if (kept.length !== 300 || kept.some((h) => !h.messageId)) throw new Error(`edits did not all move their handle: ${kept.length}`);',
    ].join('\n');
    expect(distinctShapes(prelude, body)).toBe(0);
  });
});
