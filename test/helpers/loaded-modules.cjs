// Preloaded (NODE_OPTIONS=--require) into the built bot by test/runtime-build.test.ts: at exit, writes
// the CommonJS files the bot loaded through Node, one per line, to KLINGBOT_TEST_LOADED_OUT. Only in
// the process running dist/main.js, not in npm, which gets the same NODE_OPTIONS.
const { writeFileSync } = require('node:fs');
const out = process.env.KLINGBOT_TEST_LOADED_OUT;
if (out && /dist\/main\.js$/.test(process.argv[1] ?? '')) {
  process.on('exit', () => writeFileSync(out, Object.keys(require.cache).join('\n')));
}
