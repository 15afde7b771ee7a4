// The examples' own vitest config (the repository's runs test/ only).
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['*.test.mjs'] } });
