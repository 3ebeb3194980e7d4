import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('discord.js and @discordjs/rest share one undici', () => {
  // package.json names undici (6.x) only for this: without it npm hoists @slack/socket-mode's undici 7
  // and gives discord.js and @discordjs/rest a copy each, so the bot loaded undici three times
  // (300 modules, ~1.8 MB more heap at rest, and their load time at every start).
  it('GIVEN the installed tree THEN both resolve undici to the same file', () => {
    const fromDiscord = createRequire(require.resolve('discord.js')).resolve('undici');
    const fromRest = createRequire(require.resolve('@discordjs/rest')).resolve('undici');
    expect(fromRest).toBe(fromDiscord);
  });
});
