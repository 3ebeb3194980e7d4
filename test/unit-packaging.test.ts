import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../src/config.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('packaging: what a new user and the image rely on', () => {
  it('GIVEN the Dockerfile THEN it starts with the README command, as a non-root user, with a healthcheck', () => {
    const docker = read('Dockerfile');
    const readme = read('README.md');
    expect(docker).toMatch(/^CMD \["npm", "start"\]$/m);
    expect(readme).toContain('npm start');
    expect(docker).toMatch(/^USER node$/m);
    expect(docker).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(docker).toMatch(/^FROM node:(22|24)-/m);
  });

  it('GIVEN .env.example THEN it lists every configuration variable', () => {
    const example = read('.env.example');
    const listed = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    const missing = Object.keys(EnvSchema.shape).filter((key) => !listed.has(key));
    expect(missing).toEqual([]);
  });

  it('GIVEN package.json THEN start, test, demo, bench and register scripts exist and test runs vitest', () => {
    const pkg: unknown = JSON.parse(read('package.json'));
    const scripts = (pkg as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'test', 'demo', 'bench', 'register']) expect(scripts[name], name).toBeTruthy();
    expect(scripts.test).toContain('vitest run');
    expect(read('.ci/run')).toContain('npm test');
  });
});
