/**
 * The fake Discord's modals against an unmodified discord.js Client: a type 9 answer is checked
 * with Discord's limits, and a user's submit arrives as a MODAL_SUBMIT discord.js reads.
 */
import {
  Client,
  DiscordAPIError,
  GatewayIntentBits,
  LabelBuilder,
  ModalBuilder,
  Routes,
  TextInputBuilder,
  TextInputStyle,
  type Interaction,
} from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { snowflake, startFakeDiscord, type FakeDiscord } from './fakes/discord/index.js';

const TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.fake.bot-token-for-tests';
const APP = snowflake(Date.parse('2023-01-01T00:00:00Z'));
const GUILD = snowflake(Date.parse('2023-02-01T00:00:00Z'));
const CHANNEL = snowflake(Date.parse('2023-02-02T00:00:00Z'));
const USER = { id: snowflake(Date.parse('2023-03-01T00:00:00Z')), username: 'alice' };
const OTHER = { id: snowflake(Date.parse('2023-03-02T00:00:00Z')), username: 'bob' };

let fake: FakeDiscord | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.destroy();
  await fake?.close();
  client = undefined;
  fake = undefined;
});

const modal = () =>
  new ModalBuilder()
    .setCustomId('kb:m:e:kb123')
    .setTitle('Edit this video')
    .addLabelComponents(
      new LabelBuilder()
        .setLabel('What should change?')
        .setTextInputComponent(
          new TextInputBuilder().setCustomId('instruction').setStyle(TextInputStyle.Paragraph).setMaxLength(2500),
        ),
    );

async function setup(handler: (i: Interaction) => Promise<void>) {
  const f = await startFakeDiscord({
    botToken: TOKEN,
    applicationId: APP,
    guilds: [{ id: GUILD, channels: [CHANNEL] }],
  });
  fake = f;
  const c = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: f.apiUrl } });
  client = c;
  const errors: unknown[] = [];
  c.on('interactionCreate', (i) => void handler(i).catch((e: unknown) => errors.push(e)));
  const ready = new Promise<void>((resolve) => c.once('clientReady', () => resolve()));
  await c.login(TOKEN);
  await ready;
  await c.rest.put(Routes.applicationGuildCommands(APP, GUILD), {
    body: [{ name: 'storyboard', description: 'Shots', options: [] }],
  });
  return { f, c, errors };
}

const command = { guildId: GUILD, channelId: CHANNEL, user: USER, name: 'storyboard' };
const codeOf = (e: unknown) => (e instanceof DiscordAPIError ? e.code : e);

describe('fake Discord modals', () => {
  it('GIVEN a command answered with a modal THEN the submit reaches discord.js with the typed text, once, from that user only', async () => {
    const submitted: Array<{ id: string; text: string; user: string }> = [];
    const { f, errors } = await setup(async (i) => {
      if (i.isChatInputCommand()) await i.showModal(modal());
      else if (i.isModalSubmit()) {
        submitted.push({ id: i.customId, text: i.fields.getTextInputValue('instruction'), user: i.user.id });
        await i.reply({ content: 'ok', flags: 64 });
      }
    });
    const rec = await f.sendCommand(command);
    await f.waitFor(() => rec.modal);
    expect(rec.ackType).toBe(9);
    await expect(f.submitModal({ interactionId: rec.id, user: OTHER, values: { instruction: 'x' } })).rejects.toThrow(
      /cannot submit/,
    );
    await expect(f.submitModal({ interactionId: rec.id, values: { instruction: 'x'.repeat(2501) } })).rejects.toThrow(
      /0-2500/,
    );
    const sub = await f.submitModal({ interactionId: rec.id, values: { instruction: 'make it snow' } });
    await f.waitFor(() => sub.ackedAt);
    expect(sub.type).toBe(5);
    expect(submitted).toEqual([{ id: 'kb:m:e:kb123', text: 'make it snow', user: USER.id }]);
    await expect(f.submitModal({ interactionId: rec.id, values: { instruction: 'again' } })).rejects.toThrow(
      /already submitted/,
    );
    expect(errors).toEqual([]);
  });

  it('GIVEN a modal breaking Discord’s limits THEN 50035 naming the field', async () => {
    const results: unknown[] = [];
    const input = { type: 4, custom_id: 'shots', style: 2 };
    const bodies = [
      { custom_id: 'x'.repeat(101), title: 'T', components: [{ type: 18, label: 'L', component: input }] },
      { custom_id: 'sb', title: 'T'.repeat(46), components: [{ type: 18, label: 'L', component: input }] },
      { custom_id: 'sb', title: 'T', components: [] },
      {
        custom_id: 'sb',
        title: 'T',
        components: Array.from({ length: 6 }, (_, n) => ({
          type: 18,
          label: 'L',
          component: { ...input, custom_id: `i${n}` },
        })),
      },
      {
        custom_id: 'sb',
        title: 'T',
        components: [{ type: 18, label: 'L', component: { ...input, max_length: 4001 } }],
      },
      { custom_id: 'sb', title: 'T', components: [{ type: 18, label: 'L'.repeat(46), component: input }] },
    ];
    const { f } = await setup(async (i) => {
      if (!i.isChatInputCommand()) return;
      const body = bodies[results.length];
      results.push(
        await i.client.rest
          .post(Routes.interactionCallback(i.id, i.token), { body: { type: 9, data: body } })
          .then(() => 'accepted', codeOf),
      );
    });
    for (let n = 0; n < bodies.length; n++) {
      await f.sendCommand(command);
      await f.waitFor(() => results.length === n + 1);
    }
    expect(results).toEqual([50035, 50035, 50035, 50035, 50035, 50035]);
  });

  it('GIVEN a deferred command or a modal submit THEN a modal is refused (only an initial answer to a command or click)', async () => {
    const outcomes: unknown[] = [];
    const { f } = await setup(async (i) => {
      if (i.isChatInputCommand()) {
        if (outcomes.length === 0) {
          await i.deferReply({ flags: 64 });
          // discord.js refuses this itself; the raw call shows Discord's own answer.
          outcomes.push(
            await i.client.rest
              .post(Routes.interactionCallback(i.id, i.token), { body: { type: 9, data: modal().toJSON() } })
              .then(() => 'accepted', codeOf),
          );
        } else await i.showModal(modal());
      } else if (i.isModalSubmit()) {
        outcomes.push(
          await i.client.rest
            .post(Routes.interactionCallback(i.id, i.token), { body: { type: 9, data: modal().toJSON() } })
            .then(() => 'accepted', codeOf),
        );
      }
    });
    await f.sendCommand(command);
    await f.waitFor(() => outcomes.length === 1);
    const rec = await f.sendCommand(command);
    await f.waitFor(() => rec.modal);
    await f.submitModal({ interactionId: rec.id, values: { instruction: 'snow' } });
    await f.waitFor(() => outcomes.length === 2);
    expect(outcomes[0]).toBe(40060);
    expect(outcomes[1]).toBe(50035);
  });
});
