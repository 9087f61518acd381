/**
 * `--resume <dir>`: every finished run of a long study is kept there as JSON under a key that names
 * its sizes, and skipped when the study is started again, so a `--full` run cut short goes on where
 * it stopped; with `--collect` nothing runs and the study is written from what is kept.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class KeptRuns {
  constructor(
    private readonly dir: string | undefined,
    private readonly collect = false,
  ) {
    if (collect && !dir) throw new Error('KeptRuns: --collect needs --resume <dir>');
    if (dir) mkdirSync(dir, { recursive: true });
  }

  /**
   * The run kept under `key`, else `run()`'s result (kept when a directory was given); undefined only
   * with --collect when the run was never made. `key` must name everything that makes runs differ.
   */
  async get<T>(key: string, run: () => Promise<T>, log: (line: string) => void = console.log): Promise<T | undefined> {
    if (!/^[\w.,=+-]+$/.test(key)) throw new Error(`KeptRuns: key "${key}" must be a plain file name (letters, digits, . , = + - _)`);
    const file = this.dir ? join(this.dir, `${key}.json`) : undefined;
    if (file && existsSync(file)) {
      log(`${key}: kept from ${file}`);
      return JSON.parse(readFileSync(file, 'utf8')) as T;
    }
    if (this.collect) {
      log(`${key}: not run yet (--collect: left out)`);
      return undefined;
    }
    const result = await run();
    if (file) {
      // Written whole or not at all: a run cut short mid-write must not be read back as finished.
      writeFileSync(`${file}.tmp`, JSON.stringify(result));
      renameSync(`${file}.tmp`, file);
    }
    return result;
  }
}
