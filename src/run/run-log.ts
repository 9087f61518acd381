import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppendFile } from '../util/append-file.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** The records of a JSON-lines file ([] when it does not exist; a torn last line from a kill mid-write is skipped). */
export function readJsonl(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* torn line */
    }
  }
  return out;
}

/** Append-only JSON-lines log in the run directory (one object per line, with a wall-clock stamp). */
export class JsonlLog {
  readonly path: string;
  private readonly file: AppendFile;

  constructor(runDir: string, name: string) {
    mkdirSync(runDir, { recursive: true });
    this.path = join(runDir, name);
    this.file = new AppendFile(this.path);
  }

  write(record: Record<string, unknown>): void {
    this.file.append(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  }

  close(): void {
    this.file.close();
  }

  /** Every record so far (a torn last line from a kill mid-write is skipped). */
  read(): Record<string, unknown>[] {
    return readJsonl(this.path);
  }

  /** Rewrites the log with only the records `keep` accepts (atomically); returns what was kept. */
  retain(keep: (r: Record<string, unknown>) => boolean): Record<string, unknown>[] {
    const kept = this.read().filter(keep);
    this.file.close(); // the rename replaces the file: later writes must open the new one
    writeFileAtomic(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return kept;
  }
}

/** Running window of the last n values (episode returns), for mean-of-last-100 style statistics. */
export class Window {
  private readonly items: number[] = [];
  constructor(readonly size: number) {}

  push(v: number): void {
    this.items.push(v);
    if (this.items.length > this.size) this.items.shift();
  }

  get count(): number {
    return this.items.length;
  }

  values(): readonly number[] {
    return this.items;
  }

  mean(): number {
    return this.items.length === 0 ? NaN : this.items.reduce((a, b) => a + b, 0) / this.items.length;
  }
}
