/**
 * TensorBoard event files: written by src/metrics/tfevents.ts (protobufjs + CRC32C), read back by an
 * independent reader (test/helpers/read_tfevents.py: Python standard library, its own CRC32C and
 * protobuf wire decoding), so a wrong framing, checksum or field number fails here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/load.js';
import { maskedCrc32c, TfEventsWriter } from '../src/metrics/tfevents.js';
import { RunRecorder } from '../src/run/recorder.js';

const READER = join(__dirname, 'helpers', 'read_tfevents.py');
const python = spawnSync('python3', ['--version']).status === 0;
if (!python) console.warn('tfevents.test: SKIPPED the independent-reader checks: python3 is not installed');

interface Read {
  records: number;
  file_version: string;
  scalars: [string, number, number, number][];
}

function readBack(path: string): Read {
  return JSON.parse(execFileSync('python3', [READER, path], { encoding: 'utf8' })) as Read;
}

describe('TensorBoard event files', () => {
  it('masks CRC32C as TensorFlow does (known vector)', () => {
    // crc32c("123456789") = 0xe3069283, the standard check value.
    const c = 0xe3069283;
    expect(maskedCrc32c(Buffer.from('123456789'))).toBe(((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });

  it.skipIf(!python)('writes scalars an independent reader decodes, checksums included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-tb-'));
    const w = new TfEventsWriter(dir);
    w.scalars(0, { 'loss/total': 1.5, 'episode/return': -2 }, 1000.25);
    w.scalars(123456789, { 'throughput/frames_per_second': 4321.5, skipped: NaN, absent: undefined }, 1001.5);
    w.scalars(5, {});
    const r = readBack(w.path);
    expect(r.file_version).toBe('brain.Event:2');
    expect(r.records).toBe(3);
    expect(r.scalars).toEqual([
      ['loss/total', 0, 1.5, 1000.25],
      ['episode/return', 0, -2, 1000.25],
      ['throughput/frames_per_second', 123456789, 4321.5, 1001.5],
    ]);
    expect(readdirSync(dir)[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
  });

  it.skipIf(!python)('a run recorder writes returns, losses, entropy, fps and busy fractions under tb/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-tb-run-'));
    const config = validateConfig({ env: { id: 'minatar/breakout' }, run: { dir, logEverySeconds: 0.001 } }, 'test');
    const rec = new RunRecorder(dir, config);
    const stats = {
      loss: 2,
      pgLoss: 0.5,
      baselineLoss: 1,
      entropyLoss: -1.1,
      entropy: 1.1,
      gradNorm: 3,
      lr: 0.005,
      meanVs: 0,
      meanPgAdvantage: 0,
      meanRho: 1,
      frames: 80,
    };
    rec.episode(3, 40);
    rec.update({ ...stats } as never, { policyLag: 0.5, inferenceBusy: 0.25, trainingBusy: 0.5 });
    rec.tb.scalars(80, { 'actor/a0/upload_received_bytes': 1234 });
    const files = readdirSync(join(dir, 'tb'));
    expect(files).toHaveLength(1);
    const tags = new Map(readBack(join(dir, 'tb', files[0])).scalars.map(([tag, step, v]) => [tag, { step, v }]));
    expect(tags.get('episode/return')).toEqual({ step: 0, v: 3 });
    for (const t of ['loss/total', 'loss/pg', 'policy/entropy', 'throughput/frames_per_second', 'learner/inference_busy', 'learner/training_busy']) {
      expect(tags.get(t)?.step, t).toBe(80);
    }
    expect(tags.get('learner/training_busy')?.v).toBe(0.5);
    expect(tags.get('actor/a0/upload_received_bytes')?.v).toBe(1234);
    expect(readFileSync(join(dir, 'train.jsonl'), 'utf8')).toContain('"framesPerSecond"');
  });
});
