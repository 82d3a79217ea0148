import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^cbox$/, replacement: source('./runtime/index.ts') },
      { find: /^cbox\/zlib$/, replacement: source('./libraries/zlib/index.ts') },
      { find: /^cbox\/sqlite$/, replacement: source('./libraries/sqlite/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: test files that start workers or compile C run better two at a time.
    maxWorkers: 2,
  },
});
