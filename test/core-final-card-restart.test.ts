import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, makeCore, makeInv, makeIo, startSim, waitFor } from './helpers/core-harness.js';
import { RecordingPort } from './helpers/core-port.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

describe('a finished task whose final edit never landed', () => {
  it('GIVEN the bot stops while the channel is rate limited THEN the restarted bot still shows the final card', async () => {
    const sim = await startSim(cleanup);
    const store = `sqlite://${join(mkdtempSync(join(tmpdir(), 'kb-final-')), 'store.sqlite')}`;

    // First life: every edit in the channel is held back by a long 429, so the card never shows the end.
    const blocked = new RecordingPort();
    blocked.rateLimitNextEdit(60_000);
    const first = await makeCore(new Cleanup(), sim, { STORE_URL: store }, blocked);
    const inv = makeInv();
    const rec = await first.core.services.tasks.submit(inv, makeIo(blocked, inv), {
      kind: 'text2video',
      prompt: 'a lighthouse at dusk',
      model: 'kling-v1-6',
      mode: 'std',
      duration: '5',
      aspect_ratio: '16:9',
    });
    await waitFor('the task to finish at Kling', async () => (await first.core.store.get(rec.id))?.state === 'succeed');
    expect(blocked.lastView(rec.id)?.state).not.toBe('succeed');
    await first.core.close();

    // Second life on the same store: the card is brought up to date without the user pressing Refresh.
    const port = new RecordingPort();
    const second = await makeCore(cleanup, sim, { STORE_URL: store }, port);
    const shown = await waitFor(
      'the final card',
      () => port.lastView(rec.id)?.state === 'succeed' && port.lastView(rec.id),
    );
    expect(shown.media[0]?.url).toContain('/media/');
    await waitFor('the record to say so', async () => (await second.core.store.get(rec.id))?.finalShown === true);
    // The in-flight set is written right after the record: wait for it rather than race it.
    await waitFor(
      'the task to leave the in-flight set',
      async () => !(await second.core.store.inflightIds()).includes(rec.id),
    );
    expect(sim.createsFor(rec.id)).toBe(1);
  });
});
