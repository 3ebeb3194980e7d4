// Import rules, checked by dependency-cruiser in `npm run lint` (`npm run deps`): no cycle anywhere, and the
// layers kept apart: the core (src/ outside src/platforms/) never reaches into commands/, an adapter or a platform SDK.
const SDK = '(^|/)node_modules/(discord\\.js|@discordjs/|@slack/)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'Modules form no import cycle, type-only imports included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-not-to-outer-layers',
      severity: 'error',
      comment: 'The core (src/ outside src/platforms/) imports neither commands/ nor an adapter; main.ts wires them.',
      from: { path: '^src/', pathNot: ['^src/platforms/', '^src/main\\.ts$'] },
      to: { path: ['^commands/', '^src/platforms/'] },
    },
    {
      name: 'core-not-to-platform-sdk',
      severity: 'error',
      comment: 'The core never imports discord.js, @discordjs/* or @slack/* (only src/platforms/ does).',
      from: { path: '^src/', pathNot: '^src/platforms/' },
      to: { path: SDK },
    },
    {
      name: 'commands-not-to-platforms',
      severity: 'error',
      comment: 'Commands are platform-neutral: no adapter, no platform SDK.',
      from: { path: '^commands/' },
      to: { path: ['^src/platforms/', SDK] },
    },
    {
      name: 'entry-point-not-imported',
      severity: 'error',
      comment: 'src/main.ts is the composition root: nothing imports it.',
      from: {},
      to: { path: '^src/main\\.ts$' },
    },
    {
      name: 'resolvable',
      severity: 'error',
      comment: 'Every import resolves (an unresolved one would slip past the rules above); node: builtins aside.',
      from: {},
      to: { couldNotResolve: true, pathNot: '^node:' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^node_modules/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
  },
};
