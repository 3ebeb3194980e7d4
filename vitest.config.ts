import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e files start servers and child processes; two cores keep them honest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
