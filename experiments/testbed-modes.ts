/**
 * Issue 12 item 5 and issue 13 item 5 on the testbed proper: Seed-RL, IMPALA and Coknight side by side
 * where the devices are weak and the links narrow. Each run is one `coknight testbed run`: the learner
 * (`coknight learner`) alone on core 0, six actors (`coknight actor`, the real CLI) of one device class
 * in their own namespaces on core 1, each limited by a cgroup quota calibrated to its class, behind a
 * tbf-shaped link of the cell's rate. fig10-bandwidth shapes links only and lets every process share
 * both cores, so there a y > 0 actor's head compute competes with the learner; here it cannot.
 *
 * Variants: seed (y = 0), impala (y = K), coknight (DEFP's live plan, float32 features), coknight+ae4q4
 * (DEFP with the ae4q4 codec held at the lowest split it fits) and y<m>+ae4q4 (every actor fixed at an
 * intermediate split with ae4q4 there: y = 1 of the shallow net, 800 B per env step instead of 28 KB
 * and 55% of the FLOPs on the device; y = 4 of the deep net, 882 B and 53%).
 *
 * Cells: rpi3-class actors, and one of rpi-zero-class actors (a third of an rpi3's FLOP/s) on the
 * shallow net at 2 MB/s, where y = K is actor-bound and y = 0 link-bound.
 *
 *   npx tsx experiments/testbed-modes.ts --quick   # shallow and deep net at 2 MB/s, one run per variant (32,000 and 6,400 frames; rpi-zero 16,000)
 *   npx tsx experiments/testbed-modes.ts --full    # shallow at 20 and 2 MB/s, deep at 2 MB/s, rpi-zero shallow at 2 MB/s; 2 runs per cell (median)
 *
 * Needs root (namespaces, tc, cgroups). Training frames/s and the learner's busy fraction come from the
 * learner's run directory (train.jsonl), over the updates after the last actor joined; bytes per env
 * step from its summary; env steps/s from the actors' own final statistics (null where one is missing).
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { barChart } from '../src/plot/index.js';
import { readJsonl } from '../src/run/run-log.js';
import { probeHost } from '../src/testbed/host.js';
import { type QuotaCache, runTestbed } from '../src/testbed/testbed.js';
import { parseTopology } from '../src/testbed/topology.js';
import { studyArgs } from './lib/cli.js';
import { KeptRuns } from './lib/kept.js';
import { type Figure, writeStudy } from './lib/results.js';
import { median } from './lib/stats.js';

const ACTORS = 6;
const ENV = 'minatar-pixels/breakout';
/** The device class of a cell unless it names another. */
const CLASS = 'rpi3';
// Two env groups per device, each with its own stream: while one waits for its reply (y < K) the other
// computes, the latency hiding split modes need (one stream: y1+ae4q4 587 frames/s, two: 970).
const STREAMS = 2;
const ENVS = 2;

/** The networks compared, and the intermediate split each fixes for its `y<m>+ae4q4` variant. */
export const NETWORKS = {
  // Layer 1 (conv 8×8/4): 55% of the FLOPs stay on the learner, the feature is 800 B with ae4q4.
  'impala-shallow': { fixedSplit: 1 },
  // After stack 2's first residual block (y = 4 of 10): 53% of the 108 MFLOP on the device, 56 KB
  // float32 → 882 B with ae4q4.
  'impala-deep': { fixedSplit: 4 },
} as const;
export type Network = keyof typeof NETWORKS;

export const VARIANT_NAMES = ['seed', 'impala', 'coknight', 'coknight+ae4q4', 'fixed'] as const;
export type Variant = (typeof VARIANT_NAMES)[number];

/** A variant's mode and config overrides on `network` (the fixed one: every actor at the network's split with ae4q4 there). */
export function variantSettings(variant: Variant, network: Network): { label: string; mode: 'seed' | 'impala' | 'coknight'; set: string[] } {
  // The deep net's 32 × 21-frame update needs more than the wasm heap's 4 GiB at once (its first
  // stacks keep 84×84×16 and 42×42×16 activations per frame for the backward pass): the same update
  // accumulated over 4 chunks of 8 unrolls.
  const model = [`model="${network}"`, ...(network === 'impala-deep' ? ['hyper.microBatchSize=8'] : [])];
  const y = NETWORKS[network].fixedSplit;
  switch (variant) {
    case 'seed':
    case 'impala':
    case 'coknight':
      return { label: variant, mode: variant, set: [...model] };
    case 'coknight+ae4q4':
      return { label: variant, mode: 'coknight', set: [...model, 'distributed.codec="ae4q4"'] };
    case 'fixed':
      return {
        label: `y${y}+ae4q4`,
        mode: 'coknight',
        set: [...model, `distributed.codecs=["ae4q4@${y}"]`, `distributed.splitPoints=${JSON.stringify(Array(ACTORS).fill(y))}`],
      };
  }
}

export interface ModesRun {
  readonly trainFramesPerSec: number;
  /** Learner busy fraction (inference + training) over the same updates. */
  readonly learnerBusy: number;
  readonly inferenceBusy: number;
  readonly trainingBusy: number;
  /** Σ of the actors' own env steps/s (first step to end); null when an actor's final statistics are missing. */
  readonly envStepsPerSec: number | null;
  /** Bytes the learner received per env step the actors produced (inference requests + uploads), from its summary. */
  readonly bytesPerEnvStep: number;
  readonly splitPoints: (number | null)[];
  readonly calibratedFlops: (number | null)[];
  readonly windowSeconds: number;
  /** Each join's re-plan on the learner: how long the planner took, how many others it moved, its description after. */
  readonly joins?: readonly { actor: string; planMs: number; moved: number; planner: string }[];
}

export interface UpdateLine {
  readonly frames: number;
  readonly wallSeconds: number;
  readonly inferenceBusy?: number;
  readonly trainingBusy?: number;
}

/**
 * The steady part of a run from its train.jsonl lines: the updates logged after the last join event
 * (and `settleSeconds` more), the rate between the first and the last of them, and the mean busy
 * fractions they report. Throws when fewer than two updates are left (the run was too short).
 */
export function steadyWindow(
  lines: readonly Record<string, unknown>[],
  settleSeconds: number,
): Omit<ModesRun, 'envStepsPerSec' | 'bytesPerEnvStep' | 'splitPoints' | 'calibratedFlops'> {
  let lastJoin = -1;
  lines.forEach((l, i) => {
    if (l.event === 'join') lastJoin = i;
  });
  const updates = lines
    .slice(lastJoin + 1)
    .filter((l): l is Record<string, unknown> & UpdateLine => typeof l.frames === 'number' && typeof l.wallSeconds === 'number' && l.event === undefined);
  if (updates.length === 0) throw new Error('steadyWindow: no update after the last actor joined (run longer)');
  const start = updates[0].wallSeconds + settleSeconds;
  const win = updates.filter((u) => u.wallSeconds >= start);
  if (win.length < 2) throw new Error(`steadyWindow: ${win.length} update line(s) after the last join + ${settleSeconds} s; run longer`);
  const a = win[0];
  const b = win[win.length - 1];
  const mean = (k: 'inferenceBusy' | 'trainingBusy'): number => win.slice(1).reduce((s, u) => s + (u[k] ?? 0), 0) / (win.length - 1);
  const inferenceBusy = mean('inferenceBusy');
  const trainingBusy = mean('trainingBusy');
  return {
    trainFramesPerSec: (b.frames - a.frames) / (b.wallSeconds - a.wallSeconds),
    inferenceBusy,
    trainingBusy,
    learnerBusy: Math.min(1, inferenceBusy + trainingBusy),
    windowSeconds: b.wallSeconds - a.wallSeconds,
  };
}

/** How one run is placed and watched; every field has the study's default. */
export interface RunOptions {
  readonly log?: (m: string) => void;
  readonly signal?: AbortSignal;
  readonly deviceClass?: string;
  /** Env groups (streams) per device, and envs in each. */
  readonly streams?: number;
  readonly envs?: number;
}

export async function runOnce(variant: Variant, network: Network, cap: string, frames: number, quotas: QuotaCache, opts: RunOptions = {}): Promise<ModesRun> {
  return runSettings(variantSettings(variant, network), cap, frames, quotas, opts);
}

/** One testbed run of a mode with config overrides (`set`), measured as testbed-modes measures its variants. */
export async function runSettings(
  v: { label: string; mode: 'seed' | 'impala' | 'coknight'; set: string[] },
  cap: string,
  frames: number,
  quotas: QuotaCache,
  { log = () => {}, signal, deviceClass = CLASS, streams = STREAMS, envs = ENVS }: RunOptions = {},
): Promise<ModesRun> {
  const network = (v.set.find((x) => x.startsWith('model='))?.slice('model='.length) ?? 'auto').replace(/"/g, '');
  const topology = parseTopology(
    {
      name: 'tbmodes',
      learner: { cpus: '0' },
      actorCpus: '1',
      devices: [{ id: 'dev', class: deviceClass, count: ACTORS, envs, streams, link: { rate: cap, delayMs: 2 } }],
      // tfjs (wasm) heads: the kernels the testbed's calibration probe measures, so a device runs at its
      // class's FLOP/s (with onnxruntime's AVX2 kernels the "rpi3" actors ran the deep net at ~8 GFLOP/s,
      // 1.7× their class).
      train: { env: ENV, mode: v.mode, frames, set: ['run.logEverySeconds=1', ...v.set], actorInference: 'tfjs' },
    },
    `testbed-modes ${v.label} ${network} ${cap} ${deviceClass}`,
  );
  const runDir = mkdtempSync(join(tmpdir(), 'ck-tbmodes-'));
  try {
    const report = await runTestbed(topology, 'generated by experiments/testbed-modes.ts', { runDir, quotaCache: quotas, log, ...(signal ? { signal } : {}) });
    // A stopped run is not a measurement: throw, so that --resume does not keep it.
    if (signal?.aborted) throw new Error(`testbed-modes: ${v.label} ${network} ${cap} ${deviceClass} was stopped before its learner finished`);
    // A learner that refused its config or died leaves no summary: say so, not "no update after the last join".
    if (!report.summary)
      throw new Error(`testbed-modes: ${v.label} ${network} ${cap} ${deviceClass}: the learner ended without a run summary (its lines in the run log say why)`);
    const lines = readJsonl(join(runDir, 'train.jsonl'));
    const steady = steadyWindow(lines, 3);
    const finals = report.actors.map((a) => a.envStepsPerSec);
    const accounts = (report.summary?.actors ?? []) as { frames?: number; learnerBytesReceived?: number }[];
    const produced = accounts.reduce((s, a) => s + (a.frames ?? 0), 0);
    const received = accounts.reduce((s, a) => s + (a.learnerBytesReceived ?? 0), 0);
    return {
      ...steady,
      envStepsPerSec: finals.every((x) => x !== null) ? finals.reduce((s: number, x) => s + x!, 0) : null,
      bytesPerEnvStep: produced > 0 ? received / produced : 0,
      splitPoints: report.actors.map((a) => a.splitPoint),
      calibratedFlops: report.actors.map((a) => a.calibratedFlops),
      joins: lines
        .filter((l) => l.event === 'join')
        .map((l) => ({
          actor: String(l.actor),
          planMs: Number(l.planMs ?? NaN),
          moved: Number(l.moved ?? 0),
          planner: String((l.plan as { planner?: string } | undefined)?.planner ?? ''),
        })),
    };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

export interface ModesRow {
  readonly network: Network;
  /** The actors' device class (absent in results written before cells had one: rpi3). */
  readonly deviceClass?: string;
  readonly variant: Variant;
  /** The variant as plotted (the fixed one names its split: y1+ae4q4). */
  readonly label: string;
  readonly cap: string;
  readonly trainFramesPerSec: number;
  readonly learnerBusy: number;
  readonly envStepsPerSec: number | null;
  readonly bytesPerEnvStep: number;
  readonly splitPoints: (number | null)[];
  readonly runs: readonly ModesRun[];
}

export function modesRow(network: Network, variant: Variant, cap: string, runs: readonly ModesRun[], deviceClass: string = CLASS): ModesRow {
  const m = (f: (r: ModesRun) => number): number => median(runs.map(f));
  return {
    network,
    deviceClass,
    variant,
    label: variantSettings(variant, network).label,
    cap,
    trainFramesPerSec: m((r) => r.trainFramesPerSec),
    learnerBusy: m((r) => r.learnerBusy),
    envStepsPerSec: runs.every((r) => r.envStepsPerSec !== null) ? m((r) => r.envStepsPerSec!) : null,
    bytesPerEnvStep: m((r) => r.bytesPerEnvStep),
    splitPoints: runs[runs.length - 1].splitPoints,
    runs,
  };
}

export interface ModesCell {
  readonly network: Network;
  readonly caps: string[];
  readonly frames: number;
  /** The actors' class (rpi3 when absent). */
  readonly deviceClass?: string;
}

/**
 * The cells of a profile: a network, its caps, the frames each run trains and the device class. The
 * rpi-zero cell has devices too weak to run the whole net at the learner's training rate (y = K is
 * actor-bound) behind a link too narrow for frames (y = 0 is link-bound): where a coded split can win.
 */
export function profileCells(full: boolean): ModesCell[] {
  return full
    ? [
        { network: 'impala-shallow', caps: ['20MB/s', '2MB/s'], frames: 25_600 },
        { network: 'impala-deep', caps: ['2MB/s'], frames: 12_800 },
        { network: 'impala-shallow', caps: ['2MB/s'], frames: 25_600, deviceClass: 'rpi-zero' },
      ]
    : [
        { network: 'impala-shallow', caps: ['2MB/s'], frames: 32_000 },
        { network: 'impala-deep', caps: ['2MB/s'], frames: 6_400 },
        { network: 'impala-shallow', caps: ['2MB/s'], frames: 16_000, deviceClass: 'rpi-zero' },
      ];
}

/** The run's key in a --resume directory (rpi3 cells keep the keys they had before cells named a class). */
export function runKey(profile: string, cell: ModesCell, cap: string, variant: Variant, rep: number): string {
  const cls = (cell.deviceClass ?? CLASS) === CLASS ? '' : `-${cell.deviceClass}`;
  return `${profile}-${cell.network}${cls}-${cap.replace('/', 'p')}-${variant}-r${rep}`;
}

/** One bar chart per cell (network and device class) and measure: training frames/s and the learner's busy %, bars grouped by link. */
export async function modesFigures(rows: readonly ModesRow[], cells: readonly Omit<ModesCell, 'frames'>[], reps: number): Promise<Figure[]> {
  const runsNote = reps > 1 ? `median of ${reps} runs` : 'one run';
  const figures: Figure[] = [];
  for (const { network, caps, deviceClass = CLASS } of cells) {
    const mine = rows.filter((r) => r.network === network && (r.deviceClass ?? CLASS) === deviceClass);
    if (mine.length === 0) continue;
    const setting = `${ACTORS} ${deviceClass}-class actors (calibrated cgroup quotas, core 1) behind tbf links (2 ms delay), the learner alone on core 0, ${ENV}`;
    const suffix = deviceClass === CLASS ? '' : `-${deviceClass}`;
    for (const [key, name, yLabel] of [
      ['trainFramesPerSec', 'train-frames', 'training frames/s'],
      ['learnerBusy', 'learner-busy', 'learner busy % (inference + training)'],
    ] as const) {
      figures.push({
        name: `${name}-${network}${suffix}`,
        svg: await barChart({
          title: `${network}: ${yLabel}, ${ACTORS} ${deviceClass} actors, learner on its own core`,
          xLabel: 'per-actor link',
          yLabel,
          bars: mine.map((r) => ({ label: r.cap, group: r.label, value: key === 'learnerBusy' ? 100 * r[key] : r[key] })),
        }),
        caption: `${network}, ${yLabel} per variant (${runsNote}) at ${caps.join(', ')}: ${setting}.`,
      });
    }
  }
  return figures;
}

async function main(): Promise<void> {
  const args = studyArgs('testbed-modes');
  const host = probeHost();
  if (host.noNetns || !host.cgroup)
    throw new Error(`testbed-modes needs root, ip netns, tc and a cgroup cpu controller: ${host.noNetns ?? 'no cgroup cpu controller'}`);
  // As `coknight testbed run`: the host's FLOP/s is measured with the kernels the calibration probes use.
  await initBackend({ prefer: 'wasm', log: () => {}, gradients: false });
  const full = args.profile === 'full';
  const cells = profileCells(full);
  const reps = full ? 2 : 1;
  const kept = new KeptRuns(args.resume, args.collect);
  const quotas: QuotaCache = new Map() as QuotaCache;
  // Ctrl-C or a kill ends the current run through the testbed, which then removes its namespaces and cgroups.
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      console.error(`testbed-modes: ${sig}, stopping the current run and removing its testbed`);
      stop.abort();
    });
  const rows: ModesRow[] = [];
  for (const cell of cells)
    for (const c of cell.caps) {
      const { network, frames, deviceClass = CLASS } = cell;
      const runs = new Map<Variant, ModesRun[]>();
      // Repetition-major: the variants take turns, so a slow stretch of the machine hits all alike.
      for (let r = 0; r < reps; r++)
        for (const variant of VARIANT_NAMES) {
          const key = runKey(args.profile, cell, c, variant, r + 1);
          if (stop.signal.aborted) break;
          // With --resume each run's testbed log (the learner's and the actors' output) is kept beside its result.
          const log = args.resume ? (m: string) => appendFileSync(join(args.resume!, `${key}.log`), `${m}\n`) : () => {};
          const run = await kept
            .get(key, () => runOnce(variant, network, c, frames, quotas, { log, signal: stop.signal, deviceClass }))
            .catch((err: unknown) => {
              if (stop.signal.aborted) return undefined;
              throw err;
            });
          if (!run) continue;
          console.log(
            `${network} ${deviceClass} ${c} ${variantSettings(variant, network).label} run ${r + 1}: ${run.trainFramesPerSec.toFixed(0)} train frames/s, ` +
              `learner busy ${(100 * run.learnerBusy).toFixed(0)}%, ${run.envStepsPerSec?.toFixed(0) ?? '?'} env steps/s, ${run.bytesPerEnvStep.toFixed(0)} B/env-step, y=[${run.splitPoints.join(',')}]`,
          );
          runs.set(variant, [...(runs.get(variant) ?? []), run]);
        }
      for (const [variant, list] of runs) rows.push(modesRow(network, variant, c, list, deviceClass));
    }
  if (stop.signal.aborted) {
    // A partial study would overwrite the committed one with missing cells: keep what finished instead.
    console.error(`testbed-modes: stopped; nothing written${args.resume ? ` (finished runs are kept in ${args.resume}: rerun with --resume to go on)` : ''}`);
    process.exitCode = 130;
    return;
  }
  const figures = await modesFigures(rows, cells, reps);
  const data = { env: ENV, actors: ACTORS, deviceClass: CLASS, cells, reps, quotas: Object.fromEntries(quotas), rows };
  for (const f of writeStudy({ study: 'testbed-modes', profile: args.profile, command: args.command, data, figures }, args.out)) console.log(f);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
