/**
 * The model cannot be poisoned into NaN and a checkpoint cannot be: a non-finite update is skipped,
 * a checkpoint is never written from non-finite values and is verified on load (checksum, header,
 * every tensor), stale temp files go, and the token is never written to disk.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeLayerWeights } from '../src/model/weights-codec.js';
import {
  CHECKPOINT_FILE,
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  NonFiniteCheckpointError,
  saveCheckpoint,
  writeRunCheckpoint,
} from '../src/run/checkpoint.js';
import { readTokenFile } from '../src/run/learner-service.js';
import { prepareRunDir } from '../src/run/run-dir.js';
import { register, securityConfig, startLearner, TOKEN, until, learnerFixture } from './helpers/security.js';

const fx = learnerFixture();

function sample(values: number[] = [1, 2, 3, 4], slot: number[] = [0.5, 1.5]): Checkpoint {
  return {
    meta: { config: { mode: 'local' }, frames: 1280, updates: 2, episodes: 7, wallSeconds: 3.5, modelVersion: 2, recentReturns: [1, 2] },
    weights: encodeLayerWeights({ version: 2, signature: 1, from: 1, to: 1, tensors: [{ layer: 1, shape: [values.length], data: Float32Array.from(values) }] }),
    optimizer: [{ name: 'w/rms', shape: [slot.length], data: Float32Array.from(slot) }],
  };
}

/** Re-encodes a checkpoint whose JSON header was edited (so the checksum is valid and only the header check can catch it). */
function withHeader(ckpt: Checkpoint, edit: (h: Record<string, any>) => void): Uint8Array {
  const bytes = Buffer.from(encodeCheckpoint(ckpt));
  const hlen = bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.subarray(44, 44 + hlen).toString('utf8')) as Record<string, any>;
  edit(header);
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.concat([bytes.subarray(0, 44), h, bytes.subarray(44 + hlen)]);
  out.writeUInt32LE(h.length, 8);
  const digest = createHash('sha256').update(out.subarray(44)).digest();
  digest.copy(out, 12);
  return out;
}

describe('no poisoned model', () => {
  it('a batch whose loss is not finite is skipped: weights unchanged and finite, counted, and the checkpoint after it loads', async () => {
    fx.svc = await startLearner();
    const a = await register(fx.svc, 'a');
    fx.clients.push(a);
    const l = fx.svc.learner;
    const idx = l.registry.get('a')!.index;
    const T = l.config.hyper.unrollLength;
    const S = l.assembler.dims.obsSize;
    const A = l.model.numActions;
    const before = await l.model.getLayerWeights(1, l.K);
    // Four complete unrolls with rewards of 3e38, fed past intake (as if its range check had a hole).
    for (let e = 0; e < 2; e++) {
      for (let s = 0; s <= 2 * T; s++) {
        l.assembler.observation(idx, e, s, new Uint8Array(S));
        if (s < 2 * T) {
          l.assembler.served(idx, e, s, 0, new Float32Array(A), 0);
          l.assembler.outcome(idx, e, s, 3e38, false);
        }
      }
    }
    await until(() => l.skippedUpdates >= 1, 10_000, 'the skipped update');
    expect(l.updates).toBe(0);
    expect(Buffer.from(await l.model.getLayerWeights(1, l.K)).equals(Buffer.from(before))).toBe(true);
    const text = await (await fetch(`http://${fx.svc.metricsAddress}/metrics`)).text();
    expect(text).toMatch(/coknight_skipped_updates_total 1/);
    const acc = l.stepAccounting();
    expect(acc.assembled).toBe(acc.trained + acc.queued + acc.discarded);
    const path = await fx.svc.checkpoint();
    const back = loadCheckpoint(path);
    expect(back.meta.updates).toBe(0);
    // The token never reaches the checkpoint, which only its owner can read.
    expect((back.meta.config.distributed as Record<string, unknown>).token).toBeUndefined();
    expect(readFileSync(path).includes(Buffer.from(TOKEN))).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('a checkpoint is never written from NaN weights or a NaN optimizer slot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-sec-ckpt-'));
    expect(() => saveCheckpoint(dir, sample([1, NaN, 3, 4]))).toThrow(NonFiniteCheckpointError);
    expect(() => saveCheckpoint(dir, sample([1, 2, 3, 4], [Infinity, 1]))).toThrow(/optimizer slot 'w\/rms' value 0 is Infinity/);
    const logs: string[] = [];
    const bad = sample([NaN, 2, 3, 4]);
    const rec = { frames: 1, updates: 1, episodes: [], wallSeconds: 1, recent: { values: () => [] } };
    writeRunCheckpoint(dir, { distributed: { token: 'x' } }, rec, { version: 1, spec: 's', inputShape: [1], numActions: 1 }, bad, (m) => logs.push(m));
    expect(existsSync(join(dir, CHECKPOINT_FILE))).toBe(false);
    expect(logs[0]).toMatch(/refusing to write a checkpoint: .* is not finite/);
  });
});

describe('checkpoints verify on load', () => {
  it('bit flips, NaN weights, a NaN optimizer slot, a string meta.frames and a broken header are refused with clear errors', () => {
    const good = Buffer.from(encodeCheckpoint(sample()));
    expect(decodeCheckpoint(good).meta.frames).toBe(1280);
    // Bit flips anywhere after the fixed header: 40 positions, every one caught by the checksum.
    for (let i = 0; i < 40; i++) {
      const flipped = Buffer.from(good);
      const at = 44 + Math.floor(((flipped.length - 45) * i) / 39);
      flipped[at] ^= 1 << (i % 8);
      expect(() => decodeCheckpoint(flipped, 'f.ckpt')).toThrow(/f\.ckpt is corrupt: its SHA-256 checksum/);
    }
    // Written without the save-time check (as an old build or another tool might): refused on load.
    expect(() => decodeCheckpoint(encodeCheckpoint(sample([1, NaN, 3, 4])), 'n.ckpt')).toThrow(/n\.ckpt: model weights tensor 0 .* value 1 is NaN/);
    expect(() => decodeCheckpoint(encodeCheckpoint(sample([1, 2, 3, 4], [NaN, 1])), 'o.ckpt')).toThrow(/optimizer slot 'w\/rms' value 0 is NaN/);
    expect(() =>
      decodeCheckpoint(
        withHeader(sample(), (h) => (h.meta.frames = 'many')),
        'm.ckpt',
      ),
    ).toThrow(/m\.ckpt has an invalid header: meta\.frames/);
    expect(() =>
      decodeCheckpoint(
        withHeader(sample(), (h) => delete h.weights),
        'w.ckpt',
      ),
    ).toThrow(/w\.ckpt has an invalid header: weights/);
    expect(() =>
      decodeCheckpoint(
        withHeader(sample(), (h) => (h.optimizer[0].shape = [3])),
        's.ckpt',
      ),
    ).toThrow(/optimizer slot 'w\/rms' has 2 values, but its shape \[3\] holds 3/);
  });

  it('a format-1 checkpoint (older builds, no checksum) still loads and is still checked', () => {
    const v2 = Buffer.from(encodeCheckpoint(sample()));
    const v1 = Buffer.concat([v2.subarray(0, 12), v2.subarray(44)]);
    v1.writeUInt32LE(1, 4);
    expect(decodeCheckpoint(v1).meta.frames).toBe(1280);
    const nan = Buffer.from(encodeCheckpoint(sample([NaN, 1, 2, 3])));
    const nan1 = Buffer.concat([nan.subarray(0, 12), nan.subarray(44)]);
    nan1.writeUInt32LE(1, 4);
    expect(() => decodeCheckpoint(nan1, 'old.ckpt')).toThrow(/old\.ckpt: model weights tensor 0 .* is NaN/);
  });

  it('stale temp files from a killed write are removed; checkpoints and config.json are 0600 and hold no token', () => {
    const cfg = securityConfig({ distributed: { token: 'do-not-write-me' } });
    const dir = prepareRunDir(cfg);
    const configText = readFileSync(join(dir, 'config.json'), 'utf8');
    expect(configText).not.toContain('do-not-write-me');
    expect(JSON.parse(configText).distributed.token).toBeUndefined();
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    const stale = join(dir, `.${CHECKPOINT_FILE}.99999.1234.tmp`);
    writeFileSync(stale, 'half a checkpoint');
    saveCheckpoint(dir, sample());
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    writeFileSync(stale, 'half a checkpoint');
    loadCheckpoint(dir);
    expect(existsSync(stale)).toBe(false);
    expect(statSync(join(dir, CHECKPOINT_FILE)).mode & 0o777).toBe(0o600);
  });
});

describe('the token from a file', () => {
  it('reads the first line, warns when others can read the file, refuses an empty one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-sec-tok-'));
    const f = join(dir, 'token');
    writeFileSync(f, '  s3cret \nignored\n', { mode: 0o600 });
    const warnings: string[] = [];
    expect(readTokenFile(f, (m) => warnings.push(m))).toBe('s3cret');
    expect(warnings).toEqual([]);
    chmodSync(f, 0o644);
    readTokenFile(f, (m) => warnings.push(m));
    expect(warnings[0]).toMatch(/mode 0644: others on this machine can read it/);
    writeFileSync(f, '\n');
    expect(() => readTokenFile(f, () => {})).toThrow(/is empty/);
    expect(() => readTokenFile(join(dir, 'missing'), () => {})).toThrow(/cannot read the token file/);
  });
});
