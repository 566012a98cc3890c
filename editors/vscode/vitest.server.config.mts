import { defineConfig } from 'vitest/config';

// The real server over stdio: the first model load converts the default model (about 20 s), and the
// first completion prefills its prompt cold on the CPU.
export default defineConfig({
  test: {
    include: ['test/server.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
