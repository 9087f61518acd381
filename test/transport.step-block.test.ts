/**
 * Step blocks (the actor's trajectory uploads) with and without deflate: exact round trips, the
 * compression a MinAtar-pixels block gets, the fallback for incompressible bytes, and the rejection
 * of corrupt streams, deflate bombs and unknown encodings with the codes the learner counts.
 */
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { makeEnv } from '../src/env/index.js';
import { type BlockStep, decodeStepBlock, encodeStepBlock, MAX_INFLATED_BLOCK_BYTES, ProtocolError } from '../src/transport/index.js';
import { Rng } from '../src/util/rng.js';

const dims = (numEnvs: number, obsSize: number, numActions: number) => ({ numEnvs, obsSize, numActions });

function mixedSteps(numEnvs: number, obsSize: number, numActions: number, count: number, rng: Rng): BlockStep[] {
  return Array.from({ length: count }, (_, i) => ({
    step: 5 + i,
    obs: Uint8Array.from({ length: numEnvs * obsSize }, () => (rng.random() < 0.9 ? 0 : 255)),
    ...(i % 2 === 0
      ? {
          local: {
            version: 3 + i,
            actions: Int32Array.from({ length: numEnvs }, (_, e) => (i + e) % numActions),
            logits: Float32Array.from({ length: numEnvs * numActions }, () => rng.random() - 0.5),
            prevRewards: Float32Array.from({ length: numEnvs }, (_, e) => e - 0.5),
            prevDones: Uint8Array.from({ length: numEnvs }, (_, e) => (e + i) % 2),
          },
        }
      : {}),
  }));
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'no error';
}

describe('step block encodings', () => {
  it('deflate round-trips every field exactly, like the raw encoding', () => {
    const steps = mixedSteps(3, 50, 4, 7, new Rng(1));
    const block = { ...dims(3, 50, 4), steps };
    const raw = encodeStepBlock(block, 'none');
    const packed = encodeStepBlock(block, 'deflate');
    expect(raw.readUInt16LE(14)).toBe(0);
    expect(packed.readUInt16LE(14)).toBe(1);
    expect(packed.length).toBeLessThan(raw.length);
    const a = decodeStepBlock(raw, dims(3, 50, 4));
    const b = decodeStepBlock(packed, dims(3, 50, 4));
    expect(b).toEqual(a);
    expect(b.steps.map((s) => s.step)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(Array.from(b.steps[2].local!.logits)).toEqual(Array.from(steps[2].local!.logits));
    expect(Array.from(b.steps[3].obs!)).toEqual(Array.from(steps[3].obs!));
  });

  it('an upload of 20 steps × 2 envs of minatar-pixels/breakout frames shrinks by more than 20x', () => {
    const envs = [makeEnv('minatar-pixels/breakout', { seed: 1 }), makeEnv('minatar-pixels/breakout', { seed: 2 })];
    const obs = envs.map((e) => e.reset());
    const rng = new Rng(7);
    const steps: BlockStep[] = [];
    for (let t = 0; t < 20; t++) {
      for (let i = 0; i < 2; i++) {
        const r = envs[i].step(Math.floor(rng.random() * envs[i].numActions));
        obs[i] = r.terminated || r.truncated ? envs[i].reset() : r.observation;
      }
      const both = new Uint8Array(2 * obs[0].length);
      both.set(obs[0], 0);
      both.set(obs[1], obs[0].length);
      steps.push({ step: t, obs: both });
    }
    const block = { ...dims(2, obs[0].length, envs[0].numActions), steps };
    const raw = encodeStepBlock(block, 'none');
    const packed = encodeStepBlock(block, 'deflate');
    expect(raw.length).toBe(16 + 20 * (8 + 2 * 28_224));
    expect(raw.length / packed.length).toBeGreaterThan(20);
    expect(decodeStepBlock(packed, dims(2, 28_224, envs[0].numActions))).toEqual(decodeStepBlock(raw, dims(2, 28_224, envs[0].numActions)));
  });

  it('incompressible steps travel raw even when deflate was asked for', () => {
    const rng = new Rng(3);
    const steps = [{ step: 0, obs: Uint8Array.from({ length: 4096 }, () => Math.floor(rng.random() * 256)) }];
    const packed = encodeStepBlock({ ...dims(1, 4096, 2), steps }, 'deflate');
    expect(packed.readUInt16LE(14)).toBe(0);
    expect(decodeStepBlock(packed, dims(1, 4096, 2)).steps[0].obs).toEqual(steps[0].obs);
  });

  it('a corrupt stream, a deflate bomb and an unknown encoding are ProtocolErrors naming the problem', () => {
    const block = encodeStepBlock({ ...dims(2, 100, 3), steps: mixedSteps(2, 100, 3, 4, new Rng(2)) }, 'deflate');
    const corrupt = Buffer.from(block);
    corrupt.fill(0xff, 16, 24);
    expect(codeOf(() => decodeStepBlock(corrupt, dims(2, 100, 3)))).toMatch(/^BAD_LENGTH: step block: the deflate stream is corrupt/);
    // A header claiming 1 step of 2 × 100 bytes may inflate to at most one step's worth: 1 MB of zeros is refused.
    const bomb = Buffer.concat([Buffer.from(block.subarray(0, 16)), deflateRawSync(Buffer.alloc(1 << 20))]);
    bomb.writeUInt16LE(1, 4);
    expect(bomb.length).toBeLessThan(2048);
    expect(codeOf(() => decodeStepBlock(bomb, dims(2, 100, 3)))).toMatch(/^BAD_LENGTH: .*inflates beyond the 252 bytes its header allows/);
    const unknown = Buffer.from(block);
    unknown.writeUInt16LE(7, 14);
    expect(codeOf(() => decodeStepBlock(unknown, dims(2, 100, 3)))).toBe('BAD_FIELD: step block: unknown encoding 7 (0 = none, 1 = deflate)');
    // A header of 65,535 huge steps still inflates to no more than the fixed ceiling.
    expect(MAX_INFLATED_BLOCK_BYTES).toBe(64 * 1024 * 1024);
  });

  it('an inflated body is parsed like a raw one: trailing bytes and bad actions are still caught', () => {
    const steps = mixedSteps(1, 8, 2, 2, new Rng(4));
    const raw = encodeStepBlock({ ...dims(1, 8, 2), steps }, 'none');
    const withTail = Buffer.concat([raw.subarray(0, 16), deflateRawSync(Buffer.concat([raw.subarray(16), Buffer.alloc(4)]))]);
    withTail.writeUInt16LE(1, 14);
    expect(codeOf(() => decodeStepBlock(withTail, dims(1, 8, 2)))).toBe('BAD_LENGTH: step block: 4 trailing bytes after 2 steps');
  });
});
