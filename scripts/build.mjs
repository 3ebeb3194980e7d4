#!/usr/bin/env node
// `npm run build`, and npm's prestart/preregister: compiles src/ and commands/ into dist/ with tsc
// when dist/ is missing or older than any source, so `npm install && npm start` needs no build step
// of its own and a later `npm start` after an edit or a `git pull` runs the new code.
// Plain JavaScript on purpose: it must run before anything is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
/** Written after a successful build; its mtime is the build's. */
const stamp = join(dist, '.built');
const always = process.argv.includes('--always');

/** The newest mtime under the compiled folders and the files that change the output. */
function newestSource() {
  let newest = 0;
  let found = false;
  const visit = (path) => {
    let info;
    try {
      info = statSync(path);
    } catch {
      return;
    }
    if (info.isDirectory()) {
      newest = Math.max(newest, info.mtimeMs); // a deleted file changes its folder's mtime
      for (const name of readdirSync(path)) visit(join(path, name));
    } else if (path.endsWith('.ts') || path.endsWith('.json')) {
      found = true;
      newest = Math.max(newest, info.mtimeMs);
    }
  };
  for (const name of ['src', 'commands', 'tsconfig.json', 'tsconfig.build.json', 'package.json']) visit(join(root, name));
  return { newest, found: found && existsSync(join(root, 'src')) };
}

const sources = newestSource();
if (!sources.found) {
  // A production image carries dist/ only: nothing to build from, nothing to compare with.
  if (existsSync(join(dist, 'src', 'main.js'))) process.exit(0);
  process.stderr.write('kling-bot: neither dist/ nor the TypeScript sources are here; reinstall from the repository.\n');
  process.exit(1);
}
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : -1;
if (!always && built >= sources.newest) process.exit(0);

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  process.stderr.write('kling-bot: dist/ is missing or older than the sources, and TypeScript is not installed to build it. Run `npm install` (it installs the build tools too), then `npm start`.\n');
  process.exit(1);
}
process.stderr.write(built < 0 ? 'kling-bot: compiling to dist/…\n' : 'kling-bot: sources changed, recompiling dist/…\n');
// A clean build: a deleted source must not live on as a stale .js.
rmSync(dist, { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  process.stderr.write('kling-bot: the build failed (errors above); dist/ was not updated.\n');
  process.exit(result.status ?? 1);
}
writeFileSync(stamp, `${new Date().toISOString()}\n`);
