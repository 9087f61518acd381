import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlLog } from '../src/run/run-log.js';
import { AppendFile } from '../src/util/append-file.js';

describe('AppendFile (one descriptor, one write per record)', () => {
  it('every append is in the file at once, in order, before any close', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ck-append-')), 'log');
    const f = new AppendFile(path);
    f.append('a\n');
    expect(readFileSync(path, 'utf8')).toBe('a\n');
    f.append(Buffer.from('b\n'));
    expect(readFileSync(path, 'utf8')).toBe('a\nb\n');
    f.close();
    f.append('c\n'); // reopens, still appending
    expect(readFileSync(path, 'utf8')).toBe('a\nb\nc\n');
    f.close();
  });

  it('after close, a replaced file gets the next records (JsonlLog.retain rewrites it by rename)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-append-'));
    const log = new JsonlLog(dir, 'x.jsonl');
    for (const i of [1, 2, 3]) log.write({ i });
    expect(log.retain((r) => r.i !== 2).map((r) => r.i)).toEqual([1, 3]);
    log.write({ i: 4 });
    expect(log.read().map((r) => r.i)).toEqual([1, 3, 4]);
    // A file replaced behind a closed log's back is the one written next.
    log.close();
    writeFileSync(join(dir, 'y'), '');
    renameSync(join(dir, 'y'), log.path);
    log.write({ i: 5 });
    expect(log.read().map((r) => r.i)).toEqual([5]);
    log.close();
  });
});
