/**
 * Finding 6: Refresh (and /task) force a Kling query. Anyone can click Refresh on any running
 * card, so a click storm must make a bounded number of Kling GETs.
 */
import { describe, expect, it } from 'vitest';
import type { InteractionRecord } from './fakes/discord/index.js';
import { ALICE, CH_A1, GUILD_A, cardOf, carol, discordRigPerTest, taskIdOf, video } from './helpers/discord-harness.js';

const setup = discordRigPerTest();

describe('Refresh click storm', () => {
  it('12 Refresh clicks and /task calls from 6 users on one running card: at most a few Kling GETs', async () => {
    // The task runs a minute at Kling and the tracker's own polls are 5 s apart: GETs in the storm are forced ones.
    const { s, f } = await setup({
      sim: { submittedMs: 60_000, processingMs: 60_000 },
      fake: { channelEditLimit: null },
      env: { POLL_INTERVAL_MS: '5000' },
    });
    const rec = await f.sendCommand(video(CH_A1, ALICE, 'a long render'));
    const id = await f.waitFor(() => {
      const taskId = taskIdOf(cardOf(f, rec));
      return taskId && s.task(taskId) ? taskId : undefined;
    }, 10_000);
    const card = cardOf(f, rec);
    if (!card) throw new Error('no card');
    const gets = () => s.calls.filter((c) => c.op === 'get').length;
    const before = gets();
    const started = Date.now();

    // Clicked one after another, each given the time its own Kling query takes (up to 400 ms):
    // unbounded, every click would make a GET.
    const clicks: InteractionRecord[] = [];
    for (let i = 0; i < 12; i++) {
      const seen = gets();
      const user = carol(i % 6);
      const click =
        i % 2 === 0
          ? await f.clickButton({ messageId: card.id, customId: `kb:r:${id}`, user })
          : await f.sendCommand({
              guildId: GUILD_A,
              channelId: CH_A1,
              user,
              name: 'task',
              options: [{ name: 'id', type: 3, value: id }],
            });
      clicks.push(click);
      await f.waitFor(() => click.ackedAt !== undefined && gets() > seen, 400).catch(() => undefined);
    }
    await f.waitFor(() => clicks.every((c) => c.ackedAt !== undefined), 10_000);
    const elapsed = Date.now() - started;
    // One forced query per task per 10 s, and the tracker's own polls every 5 s: a handful, not 12.
    expect(gets() - before).toBeGreaterThanOrEqual(1);
    expect(gets() - before).toBeLessThanOrEqual(2 * (1 + Math.floor(elapsed / 5000)));
    // Every /task was still answered with the card.
    for (const c of clicks.filter((c) => c.commandName === 'task')) expect(c.ephemeral).toBe(true);
  });
});
