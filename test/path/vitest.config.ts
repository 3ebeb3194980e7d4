import { defineConfig } from 'vitest/config';

/** `npm run path-files`: the probe below, apart from `npm test` (it prints a measure, it guards nothing). */
export default defineConfig({ test: { include: ['test/path/*.probe.ts'], testTimeout: 120_000 } });
