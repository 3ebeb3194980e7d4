import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EnvSchema } from '../src/config.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('packaging: what a new user and the image rely on', () => {
  it('GIVEN the Dockerfile THEN it starts with the README command, as a non-root user, with a healthcheck', () => {
    const docker = read('Dockerfile');
    const readme = read('README.md');
    const pkg = z.object({ scripts: z.record(z.string(), z.string()) }).parse(JSON.parse(read('package.json')));
    const start = pkg.scripts['start'] ?? '';
    expect(readme).toMatch(/^npm start$/m);
    // The image runs exactly what `npm start` runs once dist/ is built (its prestart only builds).
    const cmd = /^CMD (\[.*\])$/m.exec(docker)?.[1] ?? '';
    const argv = z.array(z.string()).parse(JSON.parse(cmd));
    expect(argv.join(' ')).toBe(start.replace(/^exec /, ''));
    expect(pkg.scripts['prestart']).toBe('node scripts/build.mjs');
    expect(docker).toMatch(/^USER node$/m);
    expect(docker).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
  });

  it('GIVEN the Dockerfile THEN both stages are on the current Node LTS, and the final one carries dist/ and production dependencies only', () => {
    const docker = read('Dockerfile');
    const stages = docker.split(/^(?=FROM )/m).filter((s) => s.startsWith('FROM '));
    expect(stages).toHaveLength(2);
    for (const stage of stages) expect(stage).toMatch(/^FROM node:26-slim\b/);
    const [build = '', final = ''] = stages;
    expect(build).toMatch(/^RUN .*scripts\/build\.mjs.*&& npm prune --omit=dev/m);
    const copies = [...final.matchAll(/^COPY (.*)$/gm)].map((m) => m[1] ?? '');
    expect(copies.join('\n')).not.toMatch(/\b(src|commands|tools|test|bench)\b|tsconfig/);
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies).toContain('--from=build /app/node_modules ./node_modules');
    expect(read('.dockerignore')).toMatch(/^tools$/m);
  });

  it('GIVEN package.json THEN engines names the supported Node lines and the README says the same', () => {
    const pkg = z.object({ engines: z.object({ node: z.string() }) }).parse(JSON.parse(read('package.json')));
    expect(pkg.engines.node).toBe('^20.18.1 || ^22.11.0 || ^24.0.0 || ^26.0.0');
    expect(read('README.md')).toContain('Node 20 (legacy), 22, 24 or 26');
  });

  it('GIVEN .env.example THEN it lists every configuration variable', () => {
    const example = read('.env.example');
    const listed = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    const missing = Object.keys(EnvSchema.shape).filter((key) => !listed.has(key));
    expect(missing).toEqual([]);
  });

  it('GIVEN package.json THEN start, test, demo, bench, register and rehost scripts exist and test runs vitest', () => {
    const pkg: unknown = JSON.parse(read('package.json'));
    const scripts = (pkg as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'test', 'demo', 'bench', 'register', 'rehost'])
      expect(scripts[name], name).toBeTruthy();
    expect(scripts.test).toContain('vitest run');
    expect(read('.ci/run')).toContain('npm test');
  });
});
