/**
 * Issue 20's whole-training comparison: does a site of weak devices beat a single weak actor in env
 * steps/s? Each cell is one `coknight testbed run` (real learner, real actor, real site workers): a
 * single rpi3-class actor running the whole IMPALA deep net on 84×84×4 frames (impala mode, y = K),
 * against sites whose rpi3-class coordinator steps the envs while 1–3 rpi3-class workers, each in its
 * own namespace, cgroup and shaped link, run the network's layers as the site's MLS plan splits them.
 *
 *   npx tsx experiments/site-training.ts --quick    # one run per cell, 600 frames
 *   npx tsx experiments/site-training.ts --full     # three runs per cell, 3,000 frames
 *
 * Needs root (namespaces, tc, cgroups). Env steps/s is the actor's own count over its own wall time
 * (first step to end), so the learner's start-up and the workers' calibration are not in it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { barChart } from '../src/plot/index.js';
import { probeHost } from '../src/testbed/host.js';
import { runTestbed, type SiteActorStats } from '../src/testbed/testbed.js';
import { parseTopology } from '../src/testbed/topology.js';
import { studyArgs } from './lib/cli.js';
import { writeStudy } from './lib/results.js';
import { median } from './lib/stats.js';

const args = studyArgs('site-training');
const full = args.profile === 'full';
const RUNS = full ? 3 : 1;
const FRAMES = full ? 3000 : 600;
// One interface per device: a coordinator's link carries its uploads to the learner *and* its site's
// traffic, so both cells get the coop study's faster LAN rate (at 10 MB/s the site's own traffic
// made the coordinator's link the bottleneck: 6.9 env steps/s for 2 workers against 34 single).
const LINK = { rate: '25MB/s', delayMs: 2 };
const WORKER_LINK = { rate: '25MB/s', delayMs: 0.5 }; // 200 Mbit/s
// The deep net (≈ 0.1 GFLOP per sample) is what a weak device cannot run alone; on the shallow one
// (≈ 4 MFLOP) moving the 113 KB float32 input to the workers costs more than computing it (quick run:
// sites of 1–3 rpi3 workers at 20 Mbit/s reached 0.05–0.07× the single rpi3). Every actor runs its
// head on tfjs, the kernels the site workers use (onnxruntime would give the single actor other kernels).
const train = {
  env: 'minatar-pixels/breakout',
  mode: 'impala',
  frames: FRAMES,
  set: ['model=impala-deep', 'hyper.batchSize=2', 'hyper.unrollLength=10'],
  actorInference: 'tfjs',
};

interface Cell {
  readonly label: string;
  readonly workers: number;
  readonly topology: unknown;
}

const CELLS: Cell[] = [
  { label: 'single rpi3', workers: 0, topology: { name: 'stsingle', devices: [{ id: 'pi', class: 'rpi3', envs: 2, link: LINK }], train } },
  ...[1, 2, 3].map((n) => ({
    label: `site: rpi3 + ${n}×rpi3`,
    workers: n,
    topology: {
      name: `stsite${n}`,
      sites: [{ id: 'site', coordinator: 'rpi3', devices: Array(n).fill('rpi3'), envs: 2, plan: 'mls', link: LINK, workerLink: WORKER_LINK }],
      train,
    },
  })),
];

async function main(): Promise<void> {
  const cap = probeHost();
  const why = cap.noNetns ?? (cap.cgroup ? null : 'no cgroup cpu controller');
  if (why) throw new Error(`site-training needs the real testbed (root, ip netns, tc, a cgroup cpu controller): ${why}`);
  await initBackend({ prefer: 'wasm', log: () => {}, gradients: false });
  const rows: {
    label: string;
    workers: number;
    run: number;
    envStepsPerSec: number;
    finalMeanReturn: number;
    workerFlops: (number | null)[];
    site: SiteActorStats | null;
  }[] = [];
  for (let run = 0; run < RUNS; run++)
    for (const c of CELLS) {
      // Cells interleaved run by run, so a change in the machine's load hits every cell alike.
      const t = parseTopology(c.topology, c.label);
      const dir = mkdtempSync(join(tmpdir(), 'ck-site-training-'));
      try {
        const r = await runTestbed(t, c.label, { runDir: dir, log: () => {} });
        const a = r.actors[0];
        if (a.envStepsPerSec === null || a.exit !== 0) throw new Error(`${c.label}: the actor did not finish (exit ${a.exit})`);
        const s = r.summary as { finalMeanReturn?: number } | null;
        rows.push({
          label: c.label,
          workers: c.workers,
          run,
          envStepsPerSec: a.envStepsPerSec,
          finalMeanReturn: s?.finalMeanReturn ?? Number.NaN,
          workerFlops: r.siteWorkers.map((w) => w.calibratedFlops),
          site: a.site ?? null,
        });
        const head = a.site ? `, site head ${a.site.headMsPerStep.toFixed(1)} ms/step, ${a.site.syncs} weight syncs in ${a.site.syncSeconds.toFixed(1)} s` : '';
        console.log(
          `${c.label.padEnd(20)} run ${run + 1}: ${a.envStepsPerSec.toFixed(1)} env steps/s (actor calibrated to ${((a.calibratedFlops ?? 0) / 1e9).toFixed(3)} GFLOP/s${head})`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  const single = median(rows.filter((r) => r.workers === 0).map((r) => r.envStepsPerSec));
  const summary = CELLS.map((c) => {
    const xs = rows.filter((r) => r.label === c.label).map((r) => r.envStepsPerSec);
    return { label: c.label, workers: c.workers, runs: xs, median: median(xs), vsSingle: median(xs) / single };
  });
  for (const s of summary) console.log(`${s.label.padEnd(20)} median ${s.median.toFixed(1)} env steps/s = ${s.vsSingle.toFixed(2)}× the single actor`);
  const svg = await barChart({
    title: `Env steps/s of one actor: a site of rpi3 workers vs a single rpi3 (IMPALA deep, 84×84×4, ${RUNS} run${RUNS > 1 ? 's' : ''} each, median)`,
    xLabel: 'actor',
    yLabel: 'env steps/s',
    bars: summary.map((s) => ({ label: s.label, value: s.median })),
  });
  const files = writeStudy({
    study: 'site-training',
    profile: args.profile,
    command: args.command,
    data: { frames: FRAMES, link: LINK, workerLink: WORKER_LINK, rows, summary },
    figures: [
      {
        name: 'env-steps-per-sec',
        svg,
        caption: `Env steps/s of one impala-mode actor on the testbed: a single rpi3-class device against sites whose rpi3 coordinator has 1–3 rpi3 workers (IMPALA deep net, namespaces, cgroups, 200 Mbit/s links for every device); ${summary.map((s) => `${s.label} ${s.vsSingle.toFixed(2)}×`).join(', ')}.`,
      },
    ],
  });
  console.log(files.join('\n'));
}

await main();
