/**
 * Kling's current surface on Discord (issue 11), through the real discord.js against the fake:
 * model suggestions (autocomplete) answered within the deadline, refusals from the capability
 * table, registered definitions within Discord's limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { modelsFor } from '../src/kling/capabilities.js';
import type { FakeDiscord } from './fakes/discord/index.js';
import { ALICE, CH_A1, GUILD_A, embedText, ephemeralAnswers, startBot, startFake, startSim, video, type InProcessBot } from './helpers/discord-harness.js';

let sim: KlingSimulator | undefined;
let fake: FakeDiscord | undefined;
let bot: InProcessBot | undefined;

afterEach(async () => {
  await bot?.close();
  await fake?.close();
  await sim?.close();
  bot = undefined;
  fake = undefined;
  sim = undefined;
});

async function setup() {
  sim = await startSim();
  fake = await startFake();
  bot = await startBot(sim, fake);
  return { s: sim, f: fake };
}

describe('Discord: model autocomplete', () => {
  it('answers with type 8 within the 3 s deadline, listing only the models of that command', async () => {
    const { s, f } = await setup();
    const typing = { guildId: GUILD_A, channelId: CH_A1, user: ALICE };
    const recs = await Promise.all([
      f.sendAutocomplete({ ...typing, name: 'video', focused: 'model', typed: '' }),
      f.sendAutocomplete({ ...typing, name: 'image', focused: 'model', typed: 'v2' }),
      f.sendAutocomplete({ ...typing, name: 'animate', focused: 'model', typed: 'kling-v2-1' }),
      f.sendAutocomplete({ ...typing, name: 'video', options: [{ name: 'prompt', type: 3, value: 'a fox' }, { name: 'model', type: 3, value: 'kling-v3' }], focused: 'duration', typed: '1' }),
    ]);
    await f.waitFor(() => recs.every((r) => r.ackType !== undefined), 3000);
    for (const rec of recs) {
      expect(rec.type).toBe(4);
      expect(rec.ackType).toBe(8);
      expect(rec.ackLatencyMs).toBeLessThan(3000);
      expect(rec.lateCallbackAt).toEqual([]);
    }
    const [videoModels, imageModels, animateModels, durations] = recs.map((r) => (r.autocompleteChoices ?? []).map((c) => c.value));
    expect(new Set(videoModels)).toEqual(new Set(modelsFor('text2video')));
    expect(imageModels).toEqual(['kling-v2-1', 'kling-v2-new', 'kling-v2']);
    expect(animateModels).toEqual(['kling-v2-1-master', 'kling-v2-1']);
    expect(durations).toEqual(['10', '11', '12', '13', '14', '15']);
    expect(s.calls).toEqual([]);
  });

  it('the fake refuses autocomplete for an option not registered with it (as Discord sends none)', async () => {
    const { f } = await setup();
    await expect(f.sendAutocomplete({ guildId: GUILD_A, channelId: CH_A1, user: ALICE, name: 'video', focused: 'mode', typed: 'p' })).rejects.toThrow(/not registered with autocomplete/);
  });
});

describe('Discord: the capability table', () => {
  it('a combination the model does not take: a private error naming the model and the rule, zero Kling calls', async () => {
    const { s, f } = await setup();
    const rec = await f.sendCommand({
      ...video(CH_A1, ALICE, 'a fox'),
      options: [
        { name: 'prompt', type: 3, value: 'a fox' },
        { name: 'model', type: 3, value: 'kling-v2-5-turbo' },
        { name: 'duration', type: 3, value: '15' },
      ],
    });
    await f.waitFor(() => ephemeralAnswers(f, rec).length > 0, 5000);
    const answer = embedText(ephemeralAnswers(f, rec)[0]);
    expect(answer).toContain('kling-v2-5-turbo makes 5 or 10 seconds videos (not 15)');
    expect(answer).toContain('Nothing was sent to Kling');
    // Refused before acknowledging: the private reply is the acknowledgement, nothing public first.
    expect(rec.ackType).toBe(4);
    expect(rec.ephemeral).toBe(true);
    expect(f.messagesIn(CH_A1).filter((m) => (m.flags & 64) === 0)).toEqual([]);
    expect(s.calls).toEqual([]);
  });
});
