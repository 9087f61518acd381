/**
 * The committed page (web/build, served as is so that `npm ci` needs no front-end build) is what
 * web/dashboard builds to: after changing the page, run `npm run build:web` and commit web/build.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { WEB_ROOT } from '../src/run/dashboard/server.js';

function files(dir: string, root = dir): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) Object.assign(out, files(p, root));
    else out[relative(root, p)] = readFileSync(p, 'utf8');
  }
  return out;
}

describe('dashboard bundle', () => {
  it('web/build is up to date with web/dashboard (npm run build:web)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ck-web-'));
    await build({ configFile: join(__dirname, '..', 'web', 'dashboard', 'vite.config.ts'), build: { outDir: out, emptyOutDir: true }, logLevel: 'silent' });
    const fresh = files(out);
    const committed = files(WEB_ROOT);
    expect(Object.keys(committed).sort(), 'run npm run build:web and commit web/build').toEqual(Object.keys(fresh).sort());
    for (const [k, v] of Object.entries(fresh)) expect(committed[k] === v, `${k} differs: run npm run build:web`).toBe(true);
  });
});
