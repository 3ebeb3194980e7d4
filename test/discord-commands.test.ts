/**
 * Slash-command definitions come from the commands' zod schemas: GIVEN a schema THEN the option
 * types, choices, bounds and descriptions Discord shows. And typed options come back as raw values.
 */
import {
  ApplicationCommandOptionType,
  type APIApplicationCommandBasicOption,
  type CommandInteractionOption,
} from 'discord.js';
import { describe, expect, it } from 'vitest';
import { commandByName, commands } from '../commands/index.js';
import { ValidationError } from '../src/errors.js';
import { readOptions, slashCommands, toSlashCommand } from '../src/platforms/discord/commands.js';

const optionsOf = (name: string): Record<string, APIApplicationCommandBasicOption> => {
  const command = commandByName(name);
  if (!command) throw new Error(`no /${name}`);
  return Object.fromEntries(
    (toSlashCommand(command).options ?? []).map((o) => [o.name, o as APIApplicationCommandBasicOption]),
  );
};

describe('toSlashCommand', () => {
  it('GIVEN every command THEN a definition Discord accepts: names, descriptions ≤ 100, ≤ 25 options and choices, required first', () => {
    const defs = slashCommands();
    expect(defs.map((d) => d.name)).toEqual(commands.map((c) => c.name));
    for (const def of defs) {
      expect(def.name).toMatch(/^[-_a-z0-9]{1,32}$/);
      expect(def.description.length).toBeGreaterThan(0);
      expect(def.description.length).toBeLessThanOrEqual(100);
      const opts = (def.options ?? []) as APIApplicationCommandBasicOption[];
      expect(opts.length).toBeLessThanOrEqual(25);
      const firstOptional = opts.findIndex((o) => !o.required);
      if (firstOptional >= 0) expect(opts.slice(firstOptional).every((o) => !o.required)).toBe(true);
      for (const o of opts) {
        expect(o.name).toMatch(/^[-_a-z0-9]{1,32}$/);
        expect(o.description.length).toBeGreaterThan(0);
        expect(o.description.length).toBeLessThanOrEqual(100);
        if ('choices' in o && o.choices) expect(o.choices.length).toBeLessThanOrEqual(25);
      }
    }
  });

  it('GIVEN /video THEN a required prompt of at most 2,500 characters and typed, bounded options', () => {
    const o = optionsOf('video');
    expect(o['prompt']).toMatchObject({
      type: ApplicationCommandOptionType.String,
      required: true,
      max_length: 2500,
      min_length: 1,
      description: 'What to generate',
    });
    expect(o['mode']).toMatchObject({
      type: ApplicationCommandOptionType.String,
      required: false,
      choices: [
        { name: 'std', value: 'std' },
        { name: 'pro', value: 'pro' },
      ],
    });
    // Which durations and models fit depends on the model: suggestions from the capability table, not fixed choices.
    expect(o['duration']).toMatchObject({ type: ApplicationCommandOptionType.String, autocomplete: true });
    expect(o['duration']).not.toHaveProperty('choices');
    // Any W:H is accepted, so the ratios are suggestions (autocomplete from the table), not three fixed choices.
    expect(o['aspect_ratio']).toMatchObject({ type: ApplicationCommandOptionType.String, autocomplete: true });
    expect(o['aspect_ratio']).not.toHaveProperty('choices');
    expect(o['cfg_scale']).toMatchObject({ type: ApplicationCommandOptionType.Number, min_value: 0, max_value: 1 });
    expect(o['model']).toMatchObject({ type: ApplicationCommandOptionType.String, max_length: 40, autocomplete: true });
    expect(o['negative_prompt']).toMatchObject({ required: false, max_length: 2500 });
    expect(Object.keys(o)[0]).toBe('prompt');
  });

  it('GIVEN /animate THEN the image is an optional attachment plus an optional image_url link', () => {
    const o = optionsOf('animate');
    expect(o['image']).toMatchObject({ type: ApplicationCommandOptionType.Attachment, required: false });
    expect(o['image_url']).toMatchObject({
      type: ApplicationCommandOptionType.String,
      required: false,
      max_length: 2000,
    });
    expect(o['aspect_ratio']).toBeUndefined();
  });

  it('GIVEN /image, /tasks and /task THEN integers with bounds, defaults as optional, enums as choices', () => {
    expect(optionsOf('image')['n']).toMatchObject({
      type: ApplicationCommandOptionType.Integer,
      min_value: 1,
      max_value: 9,
      required: false,
    });
    const tasks = optionsOf('tasks');
    expect(tasks['status']).toMatchObject({
      choices: ['submitted', 'processing', 'succeed', 'failed'].map((v) => ({ name: v, value: v })),
    });
    expect(tasks['scope']).toMatchObject({ required: false, choices: [{ value: 'channel' }, { value: 'mine' }] });
    // Bounded, so Discord's own form refuses a page no answer could reach (finding 5 of issue 16).
    expect(tasks['page']).toMatchObject({ type: ApplicationCommandOptionType.Integer, min_value: 1, max_value: 2000 });
    expect(tasks['page_size']).toMatchObject({ min_value: 1, max_value: 25 });
    expect(optionsOf('task')['id']).toMatchObject({ required: true, max_length: 64 });
    expect(optionsOf('quota')).toEqual({});
  });
});

describe('readOptions', () => {
  const opt = (name: string, type: ApplicationCommandOptionType, value: string | number): CommandInteractionOption => ({
    name,
    type,
    value,
  });
  const command = (name: string) => {
    const c = commandByName(name);
    if (!c) throw new Error(`no /${name}`);
    return c;
  };

  it('GIVEN typed values THEN the raw object keyed by schema names; unknown names are ignored', () => {
    const read = readOptions(command('video'), [
      opt('prompt', ApplicationCommandOptionType.String, 'a fox'),
      opt('cfg_scale', ApplicationCommandOptionType.Number, 0),
      opt('bogus', ApplicationCommandOptionType.String, 'x'),
    ]);
    expect(read).toEqual({ options: { prompt: 'a fox', cfg_scale: 0 } });
  });

  it('GIVEN /animate image_url THEN it becomes the image option', () => {
    expect(
      readOptions(command('animate'), [
        opt('image_url', ApplicationCommandOptionType.String, 'https://example.com/a.png'),
      ]).options,
    ).toEqual({ image: 'https://example.com/a.png' });
  });

  it('GIVEN an attachment and a link THEN a validation error naming the image', () => {
    const attachment = {
      url: 'https://cdn.discordapp.com/a.png',
      name: 'a.png',
      contentType: 'image/png',
      size: 10,
      width: 400,
      height: 400,
    };
    const withFile = {
      ...opt('image', ApplicationCommandOptionType.Attachment, '1'),
      attachment,
    } as unknown as CommandInteractionOption;
    // A plain object stands in for discord.js's Attachment (its constructor is private); only these fields are read.
    expect(readOptions(command('animate'), [withFile]).attachments).toEqual({
      image: { url: attachment.url, filename: 'a.png', contentType: 'image/png', size: 10, width: 400, height: 400 },
    });
    expect(() =>
      readOptions(command('animate'), [
        withFile,
        opt('image_url', ApplicationCommandOptionType.String, 'https://example.com/b.png'),
      ]),
    ).toThrow(ValidationError);
  });
});
