/**
 * Every ```js example block of the README runs, as a user would paste it, against the built package
 * (`import … from 'coknight/…'` resolves through package.json's exports by self-reference).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..');
const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```js example\n([\s\S]*?)```/g)].map((m) => m[1]);

describe('README examples', () => {
  it('the README has an example for every public entry point', () => {
    const text = blocks.join('\n');
    for (const entry of [
      'coknight',
      'coknight/env',
      'coknight/atari',
      'coknight/model',
      'coknight/vtrace',
      'coknight/partition',
      'coknight/learner',
      'coknight/actor',
      'coknight/transport',
    ]) {
      expect(text, entry).toContain(`from '${entry}'`);
    }
  });

  it.each(blocks.map((code, i) => [i + 1, code] as const))('example %i runs', (i, code) => {
    const dir = join(ROOT, '.scratch');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `readme-example-${i}.mjs`);
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr + r.stdout).not.toMatch(/Error:/);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(0);
  });
});
