import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = process.cwd();
const FORBIDDEN = /^(discord\.js|@discordjs\/.*|@slack\/.*)$/;
const ENTRY_POINTS = ['src/main.ts'];

/** Every .ts file under `dir`, skipping `skip` (relative to the repo root). */
function tsFiles(dir: string, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (skip.includes(relative(ROOT, path))) continue;
    if (statSync(path).isDirectory()) out.push(...tsFiles(path, skip));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Module specifiers of static imports, re-exports, dynamic imports and requires. */
function importsOf(source: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) if (m[1]) specs.push(m[1]);
  return specs;
}

describe('platform boundary', () => {
  it('finds every kind of import (self-check)', () => {
    const sample = [
      "import { Client } from 'discord.js';",
      "import type { App } from '@slack/bolt';",
      "export { REST } from '@discordjs/rest';",
      "import '@slack/web-api';",
      "const x = await import('@discordjs/ws');",
      "const y = require('@slack/socket-mode');",
      "import {\n  a,\n  b,\n} from 'discord.js';",
    ].join('\n');
    expect(
      importsOf(sample)
        .filter((s) => FORBIDDEN.test(s))
        .sort(),
    ).toEqual([
      '@discordjs/rest',
      '@discordjs/ws',
      '@slack/bolt',
      '@slack/socket-mode',
      '@slack/web-api',
      'discord.js',
      'discord.js',
    ]);
    expect(
      importsOf("import { z } from 'zod';\n// mentions discord.js in a comment").filter((s) => FORBIDDEN.test(s)),
    ).toEqual([]);
  });

  it('the core (src/ outside src/platforms/) and commands/ never import discord.js, @discordjs/* or @slack/*', () => {
    const files = [...tsFiles(join(ROOT, 'src'), ['src/platforms']), ...tsFiles(join(ROOT, 'commands'))];
    expect(files.length).toBeGreaterThan(30);
    expect(files.some((f) => f.endsWith('tracker/tracker.ts'))).toBe(true);
    expect(files.some((f) => f.includes(`${join('src', 'platforms')}`))).toBe(false);
    const offenders = files.flatMap((f) =>
      importsOf(readFileSync(f, 'utf8'))
        .filter((s) => FORBIDDEN.test(s))
        .map((s) => `${relative(ROOT, f)} imports ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the core (src/ outside src/platforms/) imports neither commands/ nor src/platforms/; only the entry points wire them in', () => {
    // main.ts is the composition root: it starts the adapters, and nothing imports it.
    const files = tsFiles(join(ROOT, 'src'), ['src/platforms', ...ENTRY_POINTS]);
    expect(files.some((f) => f.endsWith('task-service.ts'))).toBe(true);
    const offenders = files.flatMap((f) =>
      importsOf(readFileSync(f, 'utf8'))
        .filter((spec) => spec.startsWith('.'))
        .map((spec) => relative(ROOT, resolve(dirname(f), spec)))
        .filter((target) => target.startsWith('commands') || target.startsWith(join('src', 'platforms')))
        .map((target) => `${relative(ROOT, f)} imports ${target}`),
    );
    expect(offenders).toEqual([]);
    for (const entry of ENTRY_POINTS) {
      const importers = tsFiles(join(ROOT, 'src')).filter((f) =>
        importsOf(readFileSync(f, 'utf8')).some(
          (spec) => spec.startsWith('.') && relative(ROOT, resolve(dirname(f), spec)).replace(/\.js$/, '.ts') === entry,
        ),
      );
      expect(importers, `${entry} is imported`).toEqual([]);
    }
  });

  it('the boundary check sees an upward import (self-check)', () => {
    const from = join(ROOT, 'src', 'tracker', 'x.ts');
    const target = relative(ROOT, resolve(dirname(from), '../../commands/types.js'));
    expect(target.startsWith('commands')).toBe(true);
    expect(
      relative(ROOT, resolve(dirname(from), '../platforms/discord/port.js')).startsWith(join('src', 'platforms')),
    ).toBe(true);
  });
});
