/**
 * Finding 7: on Slack a task is never paid for when its card cannot be posted. Buttons that open
 * a card (Regenerate, Extend) run the same "can the bot post here" check as commands, and the card
 * is posted before the create goes to Kling.
 */
import { describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { FakeSlack } from './fakes/slack/index.js';
import {
  cardIsFinal,
  ephemeralTextOf,
  slackRigPerTest,
  taskIdOfCard,
  type InProcessBot,
} from './helpers/slack-harness.js';

const T1 = 'T0ACME';
const C1 = 'C0GENERAL';
const C2 = 'C0SECRET';
const U1 = 'U0ALICE';

let sim: KlingSimulator;
let fake: FakeSlack;
let bot: InProcessBot;
/** The bot is not a member of C2. */
const rig = slackRigPerTest([{ id: T1, channels: [C1, C2] }], { notInChannel: [C2] });

async function setup() {
  ({ sim, fake, bot } = await rig());
}

const ephemeralText = (responseUrlId: string) => ephemeralTextOf(fake, responseUrlId);
const creates = () => sim.calls.filter((c) => c.op === 'create').length;

async function finishedTask(): Promise<string> {
  await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command: '/video', text: 'a lantern in fog' });
  const card = await fake.waitFor(() => {
    const m = fake.messagesIn(C1)[0];
    return m && cardIsFinal(sim, m) ? m : undefined;
  }, 10_000);
  const id = taskIdOfCard(card.blocks);
  if (!id) throw new Error('no task id on the card');
  return id;
}

describe('Slack: no task without a card', () => {
  it('Regenerate on a /task answer in a channel the bot is not in: refused privately, nothing reaches Kling', async () => {
    await setup();
    const id = await finishedTask();
    const before = creates();
    const shown = await fake.sendCommand({ teamId: T1, channelId: C2, userId: U1, command: '/task', text: id });
    await fake.waitFor(() => ephemeralText(shown.responseUrlId) || undefined, 5000);
    const click = await fake.clickButton({
      teamId: T1,
      channelId: C2,
      userId: U1,
      actionId: 'kb_regenerate',
      ephemeral: { responseUrlId: shown.responseUrlId },
    });
    expect(click.status).toBe(200);
    const text = await fake.waitFor(
      () => (ephemeralText(click.responseUrlId).includes('Kling') ? ephemeralText(click.responseUrlId) : undefined),
      5000,
    );
    expect(text).toMatch(/not in this channel.*Nothing was sent to Kling/);
    expect(creates()).toBe(before);
    expect(fake.messagesIn(C2)).toHaveLength(0);
  });

  it('when Slack cannot say whether the bot may post and the post then fails: the card goes first, so nothing is paid for', async () => {
    await setup();
    // conversations.info answers 429 (the check says "unknown" and lets the command go ahead)…
    fake.rateLimit('conversations.info', { times: 1, retryAfterSec: 1 });
    const r = await fake.sendCommand({ teamId: T1, channelId: C2, userId: U1, command: '/video', text: 'a secret' });
    // …and chat.postMessage answers not_in_channel.
    const text = await fake.waitFor(
      () => (ephemeralText(r.responseUrlId).includes('Kling') ? ephemeralText(r.responseUrlId) : undefined),
      10_000,
    );
    expect(fake.callsOf('chat.postMessage').some((c) => JSON.stringify(c.response).includes('not_in_channel'))).toBe(
      true,
    );
    expect(text).toContain('nothing was sent to Kling');
    expect(creates()).toBe(0);
    // Nothing left for a restart to submit either.
    expect(await bot.core.store.inflightIds()).toEqual([]);
  });
});
