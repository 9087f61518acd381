import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunConfig } from '../config/schema.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** Default run directory: runs/<env>-<mode>-s<seed>-<UTC timestamp>. */
export function defaultRunDir(config: RunConfig, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return join('runs', `${config.env.id.replace(/\//g, '_')}-${config.mode}-s${config.seed}-${stamp}`);
}

/** The config as written to disk: never the token (actors get it from a file or the environment). */
export function redactConfig(config: unknown): Record<string, unknown> {
  const c = { ...(config as Record<string, unknown>) };
  const d = c.distributed;
  if (d && typeof d === 'object' && 'token' in d) {
    const { token: _token, ...rest } = d as Record<string, unknown>;
    c.distributed = rest;
  }
  return c;
}

export function prepareRunDir(config: RunConfig): string {
  const dir = resolve(config.run.dir ?? defaultRunDir(config));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(redactConfig(config), null, 2)}\n`, 0o600);
  return dir;
}
