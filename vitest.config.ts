import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e files start servers and child processes; two cores keep them honest.
    maxWorkers: 2,
    // CI asks for a JSON report too, to print "N passed, N failed".
    reporters: process.env.KLINGBOT_VITEST_JSON ? ['default', 'json'] : ['default'],
    ...(process.env.KLINGBOT_VITEST_JSON ? { outputFile: { json: process.env.KLINGBOT_VITEST_JSON } } : {}),
  },
});
