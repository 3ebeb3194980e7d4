/**
 * The fake Discord's autocomplete (APPLICATION_COMMAND_AUTOCOMPLETE, type 4) is as strict as
 * Discord: an unmodified discord.js client gets 50035 for more than 25 choices or a name over
 * 100 characters, and 400 for a message answer to an autocomplete interaction.
 */
import { Client, DiscordAPIError, GatewayIntentBits, Routes, type Interaction } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { snowflake, startFakeDiscord, type FakeDiscord } from './fakes/discord/index.js';

const TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.fake.autocomplete-bot-token';
const APP = snowflake(Date.parse('2023-01-01T00:00:00Z'));
const GUILD = snowflake(Date.parse('2023-02-01T00:00:00Z'));
const CHANNEL = snowflake(Date.parse('2023-02-02T00:00:00Z'));
const USER = { id: snowflake(Date.parse('2023-03-01T00:00:00Z')), username: 'alice' };
const COMMAND = {
  name: 'video',
  description: 'Generate a video',
  options: [
    { type: 3, name: 'prompt', description: 'What to generate', required: true },
    { type: 3, name: 'model', description: 'Model', required: false, autocomplete: true },
  ],
};

let fake: FakeDiscord | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.destroy();
  await fake?.close();
  client = undefined;
  fake = undefined;
});

/** A client whose autocomplete answer is `answer`; returns what discord.js threw, if anything. */
async function answerWith(
  answer: (i: Interaction) => Promise<unknown>,
): Promise<{ error: unknown; ackType: number | undefined }> {
  const f = await startFakeDiscord({
    botToken: TOKEN,
    applicationId: APP,
    guilds: [{ id: GUILD, name: 'G', channels: [CHANNEL] }],
  });
  fake = f;
  const c = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: f.apiUrl } });
  client = c;
  let settle: (e: unknown) => void = () => undefined;
  const done = new Promise<unknown>((r) => (settle = r));
  c.on('interactionCreate', (i) => void answer(i).then(() => settle(undefined), settle));
  const ready = new Promise<void>((r) => c.once('clientReady', () => r()));
  await c.login(TOKEN);
  await ready;
  await c.rest.put(Routes.applicationGuildCommands(APP, GUILD), { body: [COMMAND] });
  const rec = await f.sendAutocomplete({
    guildId: GUILD,
    channelId: CHANNEL,
    user: USER,
    name: 'video',
    focused: 'model',
    typed: 'kl',
  });
  const error = await done;
  return { error, ackType: rec.ackType };
}

const code = (e: unknown) => (e instanceof DiscordAPIError ? e.code : undefined);

describe('fake Discord: autocomplete answers', () => {
  it('a valid type-8 answer is recorded with its choices', async () => {
    const r = await answerWith(async (i) =>
      i.isAutocomplete() ? i.respond([{ name: 'kling-v3', value: 'kling-v3' }]) : undefined,
    );
    expect(r.error).toBeUndefined();
    expect(r.ackType).toBe(8);
    expect(fake?.interactions[0]?.autocompleteChoices).toEqual([{ name: 'kling-v3', value: 'kling-v3' }]);
  });

  it('26 choices, or a name over 100 characters, are refused with 50035', async () => {
    const many = Array.from({ length: 26 }, (_, n) => ({ name: `m${n}`, value: `m${n}` }));
    expect(code((await answerWith(async (i) => (i.isAutocomplete() ? i.respond(many) : undefined))).error)).toBe(50035);
    await client?.destroy();
    await fake?.close();
    expect(
      code(
        (
          await answerWith(async (i) =>
            i.isAutocomplete() ? i.respond([{ name: 'x'.repeat(101), value: 'x' }]) : undefined,
          )
        ).error,
      ),
    ).toBe(50035);
  });

  it('a message answer (type 4) to an autocomplete interaction is refused', async () => {
    const r = await answerWith(async (i) => {
      if (!i.isAutocomplete()) return;
      await i.client.rest.post(Routes.interactionCallback(i.id, i.token), {
        body: { type: 4, data: { content: 'hi' } },
        auth: false,
      });
    });
    expect(code(r.error)).toBe(50035);
    expect(r.ackType).toBeUndefined();
  });
});
