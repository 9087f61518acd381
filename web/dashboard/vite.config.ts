// Builds the dashboard page into web/build (committed: `npm ci` needs no front-end build).
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  logLevel: 'warn',
  build: { outDir: '../build', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 600 },
});
