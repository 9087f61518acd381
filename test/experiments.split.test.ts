import { describe, expect, it } from 'vitest';
import { CODECS, codecRows, featureCodecRow, IDENTITY_CODEC, type SplitCodec } from '../experiments/lib/codecs.js';
import { describePlan, latencyWindow, splitTable, sweepCell, systemOf, winnerOf, withCodec } from '../experiments/lib/split-sweep.js';
import { strategies } from '../src/partition/strategies.js';
import { planThroughput, stepCost, trainFlopsPerStep } from '../experiments/lib/throughput-model.js';
import { impalaDeepNetwork, impalaShallowNetwork, type NetworkSpec } from '../src/partition/networks.js';

// b_0 = 1000 B; layer 1: 2 MFLOPs → 500 B; layer 2: 1 MFLOPs → 100 B.
const TINY: NetworkSpec = {
  name: 'tiny',
  inputBytes: 1000,
  layers: [
    { name: 'l1', flops: 2e6, outBytes: 500 },
    { name: 'l2', flops: 1e6, outBytes: 100 },
  ],
};

describe('experiments/lib/throughput-model', () => {
  it('stepCost counts device, learner and link time, with the raw-observation upload training needs for y > 0', () => {
    const sys = systemOf(TINY, 1e10);
    const a = { flops: 1e9, linkBytesPerSec: 1e6 };
    // y=0: learner 3e6/1e10 = 0.3 ms; link (1000 obs + 100 reply) = 1.1 ms; no upload (the learner has the obs).
    expect(stepCost(sys, a, 0)).toEqual({ device: 0, learner: 3e-4, link: 1.1e-3, bytes: 1100 });
    // y=1: device 2 ms, learner 0.1 ms, link (500 + 100 + 1000 upload) = 1.6 ms.
    const y1 = stepCost(sys, a, 1);
    expect(y1.device).toBeCloseTo(2e-3, 15);
    expect(y1.learner).toBeCloseTo(1e-4, 15);
    expect(y1.bytes).toBe(1600);
    // y=K: device 3 ms, only the upload on the link.
    expect(stepCost(sys, a, 2)).toEqual({ device: 3e-3, learner: 0, link: 1e-3, bytes: 1000 });
    // A deflated upload of 40 B per step instead of the raw 1000: y = 1 sends 500 + 100 + 40, y = K 40, y = 0 is unchanged.
    expect(stepCost(sys, a, 1, IDENTITY_CODEC, 40).bytes).toBe(640);
    expect(stepCost(sys, a, 2, IDENTITY_CODEC, 40)).toEqual({ device: 3e-3, learner: 0, link: 4e-5, bytes: 40 });
    expect(stepCost(sys, a, 0, IDENTITY_CODEC, 40)).toEqual(stepCost(sys, a, 0));
    expect(planThroughput(sys, [a], [2], 0, IDENTITY_CODEC, 40).totalStepsPerSec).toBeCloseTo(1 / (3e-3 + 4e-5), 9);
  });

  it('planThroughput holds every actor back in proportion once the learner is saturated', () => {
    const a = { flops: 1e9, linkBytesPerSec: 1e6 };
    const train = trainFlopsPerStep(systemOf(TINY, 1)); // 3 × 3 MFLOPs = 9 MFLOPs
    expect(train).toBe(9e6);
    // Fast learner: y=K for two actors, each 1/(3 ms + 1 ms) = 250 steps/s, demand 2·250·9e6 = 4.5 GFLOP/s < 1e10.
    const free = planThroughput(systemOf(TINY, 1e10), [a, a], [2, 2], train);
    expect(free.totalStepsPerSec).toBeCloseTo(500, 9);
    expect(free.learnerBusy).toBeCloseTo(0.45, 12);
    expect(free.learnerBound).toBe(false);
    // A 2.25 GFLOP/s learner: demand 4.5 G is twice that, so each actor runs at half its rate.
    const held = planThroughput(systemOf(TINY, 2.25e9), [a, a], [2, 2], train);
    expect(held.totalStepsPerSec).toBeCloseTo(250, 9);
    expect(held.learnerBound).toBe(true);
    expect(held.learnerBusy).toBe(1);
    expect(() => planThroughput(systemOf(TINY, 1), [a], [0, 0], train)).toThrow(/2 split points for 1 actors/);
  });

  it('a codec row changes the bytes of intermediate splits only (the hook for issue 13)', () => {
    const half: SplitCodec = { name: 'half', description: 'test', bytes: (_y, raw) => raw / 2, encodeFlops: () => 1e6 };
    const sys = systemOf(TINY, 1e10);
    const a = { flops: 1e9, linkBytesPerSec: 1e6 };
    expect(stepCost(sys, a, 1, half).bytes).toBe(250 + 100 + 1000);
    expect(stepCost(sys, a, 1, half).device).toBeCloseTo(3e-3, 15); // 2 MFLOPs + 1 MFLOPs encoding
    expect(stepCost(sys, a, 0, half)).toEqual(stepCost(sys, a, 0));
    expect(CODECS).toContain(IDENTITY_CODEC);
    expect(IDENTITY_CODEC.bytes(1, 123)).toBe(123);
  });
});

describe('experiments/lib/split-sweep', () => {
  it('splitTable of IMPALA shallow on 84×84×4: the bytes and FLOPs the answer of item 5 rests on', () => {
    const t = splitTable(impalaShallowNetwork(6));
    expect(t.map((r) => r.bytes)).toEqual([28224, 25600, 10368, 1024]); // frame, 20×20×16, 9×9×32 floats, FC 256 floats
    // conv1 20·20·16·(8·8·4)·2 = 3,276,800; conv2 9·9·32·(4·4·16)·2 = 1,327,104; FC 2592·256·2 + heads 256·7·2.
    expect(t[1].deviceFlops).toBe(3_276_800);
    expect(t[2].deviceFlops - t[1].deviceFlops).toBe(1_327_104);
    expect(t[3].deviceFlops - t[2].deviceFlops).toBe(2592 * 256 * 2 + 2592 * 0 + 256 * 7 * 2 + 256 * 2 * 0);
    expect(t[0].learnerFlops).toBe(t[3].deviceFlops);
    // The deep net's first splits send four times the frame.
    expect(splitTable(impalaDeepNetwork(6))[1].bytes).toBe(42 * 42 * 16 * 4);
  });

  it('for the IMPALA nets an intermediate split never has the lowest Eq. 6 latency, at any device class or link', () => {
    const rates = Array.from({ length: 31 }, (_, i) => 1e5 * Math.pow(10, i / 10));
    for (const net of [impalaShallowNetwork(6), impalaDeepNetwork(6)])
      for (const f of [0.5e9, 1e9, 4e9])
        for (let y = 1; y < net.layers.length; y++) expect(latencyWindow(net, f, 5e12, y, rates), `${net.name} y=${y} f_d=${f}`).toEqual([]);
  });

  it('DEFP picks an intermediate split where it compresses the frame, yet the training upload of raw frames makes it lose', () => {
    const squeeze: NetworkSpec = {
      name: 'squeeze',
      inputBytes: 100_000,
      layers: [
        { name: 'cheap-compress', flops: 1e5, outBytes: 100 },
        { name: 'heavy', flops: 1e9, outBytes: 40 },
      ],
    };
    const rates = [1e5, 1e6, 1e7];
    expect(latencyWindow(squeeze, 1e9, 1e12, 1, rates)).toEqual(rates); // lowest Eq. 6 latency at every rate
    const cell = sweepCell({ net: squeeze, device: 'd', deviceFlops: 1e9, linkBytesPerSec: 1e6, learnerFlops: 1e13, actors: 4 });
    expect(cell.defpPlan).toEqual([1, 1, 1, 1]);
    expect(cell.intermediate).toBe(true);
    // ...but y = 1 still uploads the 100 KB frame for training, plus its 100 B: more bytes than y = 0.
    expect(cell.intermediateWins).toBe(false);
    expect(cell.defp).toBeLessThan(cell.seed);
    expect(cell.winner).toBe('seed');
  });

  it('a learner-bound cell where every actor at the intermediate split beats all three modes, and DEFP does not pick it', () => {
    // Learner 2.4 GFLOP/s, training 3 × 2 MFLOPs per step. Seed: learner-bound at 2.4e9/8e6 = 300 steps/s.
    // y=1: devices 4 × 1/(1e6/1e8) ≈ 400 steps/s free, learner-bound at 2.4e9/7e6 ≈ 343. y=K: devices 4 × 1/20 ms = 200.
    const net: NetworkSpec = {
      name: 'even',
      inputBytes: 1000,
      layers: [
        { name: 'l1', flops: 1e6, outBytes: 100 },
        { name: 'l2', flops: 1e6, outBytes: 40 },
      ],
    };
    const cell = sweepCell({ net, device: 'slow', deviceFlops: 1e8, linkBytesPerSec: 1e9, learnerFlops: 2.4e9, actors: 4 });
    expect(cell.seed).toBeCloseTo(300, 6);
    expect(cell.uniform[1]).toBeCloseTo(2.4e9 / 7e6, 6);
    expect(cell.impala).toBeCloseTo(4 / (0.02 + 1e-6), 3);
    expect(cell.bestUniform).toBe(1);
    expect(cell.uniformIntermediateWins).toBe(true);
    // DEFP minimises Eq. 6 latency: y = 0 (0.83 ms) beats y = 1 (10 ms) for every actor and fits its budget.
    expect(cell.defpPlan).toEqual([0, 0, 0, 0]);
    expect(cell.winner).toBe('seed = coknight');
  });

  it('describePlan and winnerOf', () => {
    expect(describePlan([3, 0, 3, 3])).toBe('1×y0 3×y3');
    expect(winnerOf(10, 5, 10, [0, 0], 3)).toBe('seed = coknight');
    expect(winnerOf(10, 12, 12, [3, 3], 3)).toBe('impala = coknight');
    expect(winnerOf(10, 5, 11, [0, 2], 3)).toBe('coknight');
    expect(winnerOf(10, 5, 9, [0, 2], 3)).toBe('seed'); // a mixed plan that loses is not Coknight's win
    expect(winnerOf(10, 12, 10, [0, 0], 3)).toBe('impala'); // DEFP chose y=0 but IMPALA is faster
  });
});

describe('experiments/lib/codecs: src/codec rows', () => {
  it('ae4q4 and q8 on IMPALA shallow: exact bytes and encoder FLOPs per split, float32 where they do not apply', () => {
    const ae = featureCodecRow('ae4q4', 'impala-shallow', [84, 84, 4]);
    // y = 1: 20×20×16 → 400 positions × 4 channels × 4 bits = 800 B; encoder 2·400·16·4 FLOPs
    expect([ae.bytes(1, 25600), ae.encodeFlops(1, 25600)]).toEqual([800, 51200]);
    // y = 2: 9×9×32 → 81 × 4 × 4 bits = 162 B; 2·81·32·4
    expect([ae.bytes(2, 10368), ae.encodeFlops(2, 10368)]).toEqual([162, 20736]);
    expect(ae.bytes(3, 1024)).toBe(1024); // y = K: no codec
    const q8 = featureCodecRow('q8', 'impala-shallow', [84, 84, 4]);
    expect([q8.bytes(1, 25600), q8.encodeFlops(1, 25600)]).toEqual([6400, 0]);
    expect(codecRows('impala-shallow', [84, 84, 4]).map((c) => c.name)).toEqual(['none', 'f16', 'q8', 'q4', 'ae4q4']);
  });

  it('withCodec: one strategy per split (the codec where it fits), so DEFP strategy s is split point s', () => {
    const net = impalaShallowNetwork(6);
    const sys = withCodec(systemOf(net, 5e10), featureCodecRow('ae4q4', 'impala-shallow', [84, 84, 4]));
    expect(strategies(sys).map((s) => [s.y, s.codec, s.bytes])).toEqual([
      [0, 'f32', 28224],
      [1, 'ae4q4', 800],
      [2, 'ae4q4', 162],
      [3, 'f32', 0],
    ]);
    expect(withCodec(systemOf(net, 5e10), IDENTITY_CODEC).layers).toBe(net.layers);
  });

  it('a cell where DEFP with ae4q4 puts every actor at (1, ae4q4) and beats both y = 0 and y = K for all (rpi4 as calibrated in the quick run, 10 MB/s, 50 GFLOP/s learner)', () => {
    const net = impalaShallowNetwork(6);
    const spec = { net, device: 'rpi4', deviceFlops: 1.3341342909929886e9, linkBytesPerSec: 1e7, learnerFlops: 5e10, actors: 12 };
    const plain = sweepCell(spec);
    const coded = sweepCell({ ...spec, codec: featureCodecRow('ae4q4', 'impala-shallow', [84, 84, 4]) });
    expect(plain.intermediateWins).toBe(false);
    expect(describePlan(coded.defpPlan)).toBe('12×y1');
    expect(coded.winner).toBe('coknight');
    expect(coded.seed).toBe(plain.seed);
    expect(coded.defp).toBeGreaterThan(1.01 * Math.max(coded.seed, coded.impala));
    // the quick run's numbers (steps/s): 2160.8 vs Seed-RL 2106.3 vs IMPALA 1650.5
    expect([coded.defp, coded.seed, coded.impala].map((v) => Math.round(v * 10) / 10)).toEqual([2160.8, 2106.3, 1650.5]);
  });
});

describe('experiments/lib/upload-size', () => {
  it('a minatar-pixels/breakout upload deflates to a few hundred bytes per env step (28,224 raw), and repeats exactly with its seed', async () => {
    const { uploadBytesPerStep } = await import('../experiments/lib/upload-size.js');
    const a = uploadBytesPerStep('minatar-pixels/breakout', { blocks: 3 });
    expect(a).toBeGreaterThan(16 / 40); // at least the header's share
    expect(a).toBeLessThan(28_224 / 20);
    expect(uploadBytesPerStep('minatar-pixels/breakout', { blocks: 3 })).toBe(a);
  });
});
