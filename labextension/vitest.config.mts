import { defineConfig } from 'vitest/config';

// Unit tests of the browser-independent logic (protocol, connection, diff, settings).
export default defineConfig({
  test: { include: ['src/**/*.test.ts'], environment: 'node' }
});
