import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit tests: `vscode` is test/vscode-mock.ts. The real-server test runs alone (vitest.server.config.mts).
export default defineConfig({
  resolve: {
    alias: { vscode: fileURLToPath(new URL('./test/vscode-mock.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/server.test.ts', 'node_modules/**'],
  },
});
