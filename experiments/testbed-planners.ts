/**
 * Issue 21 item 5 on the testbed: the live planners side by side where DEFP's intermediate split wins
 * (testbed-modes' rpi-zero cell: six rpi-zero-class actors, the shallow net, 2 MB/s links, the ae4q4
 * codec held by the learner). Each run is one `coknight testbed run` as in testbed-modes (learner alone
 * on core 0, actors' cgroup quotas calibrated to their class on core 1, tbf links), with one planner:
 *   defp           partition.planner defp (the single-learner DEFP of coknight mode)
 *   greedy, milp   distributed.serverAssign plan with partition.multi.solver greedy / milp (the learner
 *                  as the only server)
 *   mahppo         partition.planner mahppo: the learner runs the policy for every actor, behind the shield
 *   shielded-marl  partition.planner shielded-marl: each actor runs the policy trained through the
 *                  shields on its own observation and asks; the learner's shield grants or substitutes
 *   mahppo-p0.1, shielded-marl-p0.1   the same with policies trained at --collision-penalty 0.1
 * The policies are trained first with `coknight planner train` (the simulator's device classes, 200
 * iterations, `--codecs ae4q4@1`: the network as the learner prices it), as a user would: at the CLI's
 * default collision penalty 0.5 and at 0.1.
 *
 * Cells: the learner's budgets unlimited (the default), and a compute budget of two whole forward
 * passes per round (partition.computeBudget), which fits only some of the six actors offloaded.
 *
 *   npx tsx experiments/testbed-planners.ts --quick   # one run per planner and cell (16,000 frames)
 *   npx tsx experiments/testbed-planners.ts --full    # two interleaved runs per planner and cell (25,600 frames)
 *
 * Needs root. Measures per run: training frames/s and learner busy (train.jsonl's steady window), the
 * plan (split points, codecs), and each join's re-plan time on the learner.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { makeEnv } from '../src/env/index.js';
import { barChart } from '../src/plot/index.js';
import { modelNetwork } from '../src/partition/networks.js';
import { probeHost } from '../src/testbed/host.js';
import type { QuotaCache } from '../src/testbed/testbed.js';
import { studyArgs } from './lib/cli.js';
import { KeptRuns } from './lib/kept.js';
import { type Figure, writeStudy } from './lib/results.js';
import { median } from './lib/stats.js';
import { type ModesRun, runSettings } from './testbed-modes.js';

const ENV = 'minatar-pixels/breakout';
const NETWORK = 'impala-shallow';
const DEVICE = 'rpi-zero';
const CAP = '2MB/s';
export const PLANNERS = ['defp', 'greedy', 'milp', 'mahppo', 'shielded-marl', 'mahppo-p0.1', 'shielded-marl-p0.1'] as const;
export type Planner = (typeof PLANNERS)[number];
export const BUDGETS = ['unlimited', 'two-passes'] as const;
export type Budget = (typeof BUDGETS)[number];

/** The trained policies: at the CLI's default collision penalty (0.5) and at 0.1. */
export interface PolicyFiles {
  readonly mahppo: string;
  readonly shielded: string;
  readonly mahppoLow: string;
  readonly shieldedLow: string;
}

/** Config overrides for a planner under a budget. */
export function plannerSettings(planner: Planner, budgetFlops: number | undefined, files: PolicyFiles): string[] {
  const base = [`model="${NETWORK}"`, 'distributed.codec="ae4q4"', ...(budgetFlops ? [`partition.computeBudget=${budgetFlops}`] : [])];
  switch (planner) {
    case 'defp':
      return [...base, 'partition.planner="defp"'];
    case 'greedy':
    case 'milp':
      return [...base, 'distributed.serverAssign="plan"', `partition.multi.solver="${planner}"`];
    case 'mahppo':
      return [...base, 'partition.planner="mahppo"', `partition.plannerCheckpoint=${JSON.stringify(files.mahppo)}`];
    case 'shielded-marl':
      return [...base, 'partition.planner="shielded-marl"', `partition.plannerCheckpoint=${JSON.stringify(files.shielded)}`];
    case 'mahppo-p0.1':
      return [...base, 'partition.planner="mahppo"', `partition.plannerCheckpoint=${JSON.stringify(files.mahppoLow)}`];
    case 'shielded-marl-p0.1':
      return [...base, 'partition.planner="shielded-marl"', `partition.plannerCheckpoint=${JSON.stringify(files.shieldedLow)}`];
  }
}

/** Trains (or keeps, in the resume directory) the four policies with the real CLI. */
function trainPolicies(dir: string): PolicyFiles {
  const files: PolicyFiles = {
    mahppo: resolve(dir, 'mahppo-shallow-ae4q4.json'),
    shielded: resolve(dir, 'shielded-marl-shallow-ae4q4.json'),
    mahppoLow: resolve(dir, 'mahppo-shallow-ae4q4-p0.1.json'),
    shieldedLow: resolve(dir, 'shielded-marl-shallow-ae4q4-p0.1.json'),
  };
  for (const [file, shield, penalty] of [
    [files.mahppo, false, 0.5],
    [files.shielded, true, 0.5],
    [files.mahppoLow, false, 0.1],
    [files.shieldedLow, true, 0.1],
  ] as const) {
    if (existsSync(file)) continue;
    // ae4q4@1: the network as this run's learner prices it (it holds ae4q4 at y = 1, and only that there).
    const args = ['bin/coknight.js', 'planner', 'train', '--network', NETWORK, '--servers', '1', '--codecs', 'ae4q4@1', '--iterations', '200'];
    args.push('--collision-penalty', String(penalty), '--out', file, ...(shield ? ['--shield'] : []));
    const out = execFileSync(process.execPath, args, { encoding: 'utf8' });
    writeFileSync(file.replace(/\.json$/, '.train.txt'), out);
    console.log(out.trim().split('\n').at(-1));
  }
  return files;
}

export interface PlannerRow {
  readonly planner: Planner;
  readonly budget: Budget;
  readonly trainFramesPerSec: number;
  readonly learnerBusy: number;
  readonly bytesPerEnvStep: number;
  /** The last run's split points per actor stream, and its plan's description. */
  readonly splitPoints: (number | null)[];
  readonly plan: string;
  /** Over every join of the runs: the learner's planner time (median, max). */
  readonly medianPlanMs: number;
  readonly maxPlanMs: number;
  readonly runs: readonly ModesRun[];
}

export function plannerRow(planner: Planner, budget: Budget, runs: readonly ModesRun[]): PlannerRow {
  const joins = runs.flatMap((r) => r.joins ?? []);
  const times = joins.map((j) => j.planMs).filter((x) => Number.isFinite(x));
  return {
    planner,
    budget,
    trainFramesPerSec: median(runs.map((r) => r.trainFramesPerSec)),
    learnerBusy: median(runs.map((r) => r.learnerBusy)),
    bytesPerEnvStep: median(runs.map((r) => r.bytesPerEnvStep)),
    splitPoints: runs[runs.length - 1].splitPoints,
    plan: runs[runs.length - 1].joins?.at(-1)?.planner ?? '',
    medianPlanMs: times.length ? median(times) : NaN,
    maxPlanMs: times.length ? Math.max(...times) : NaN,
    runs,
  };
}

/** The study's rows as a markdown table (frames/s of every run in brackets). */
export function plannerTable(rows: readonly PlannerRow[]): string {
  const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const lines = [
    '| learner budget | planner | training frames/s (runs) | learner busy | bytes per env step | split points | plan | planner ms per join (median, max) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.budget} | ${r.planner} | ${f(r.trainFramesPerSec)} (${r.runs.map((x) => f(x.trainFramesPerSec)).join(', ')}) | ${f(100 * r.learnerBusy)}% | ` +
        `${f(r.bytesPerEnvStep)} | ${r.splitPoints.join(',')} | ${r.plan} | ${f(r.medianPlanMs, 2)}, ${f(r.maxPlanMs, 2)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const args = studyArgs('testbed-planners');
  const host = probeHost();
  if (host.noNetns || !host.cgroup)
    throw new Error(`testbed-planners needs root, ip netns, tc and a cgroup cpu controller: ${host.noNetns ?? 'no cgroup cpu controller'}`);
  await initBackend({ prefer: 'wasm', log: () => {}, gradients: false });
  const full = args.profile === 'full';
  const reps = full ? 2 : 1;
  const frames = full ? 25_600 : 16_000;
  const work = args.resume ?? join(args.out, 'testbed-planners', 'policies');
  mkdirSync(work, { recursive: true });
  const files = trainPolicies(work);
  const probe = makeEnv(ENV, { seed: 0 });
  const net = modelNetwork(NETWORK, probe.observationShape as [number, number, number], probe.numActions);
  const forward = net.layers.reduce((s, l) => s + l.flops, 0);
  const budgetFlops = (b: Budget) => (b === 'unlimited' ? undefined : 2 * forward);
  const kept = new KeptRuns(args.resume, args.collect);
  // Every run of the study on the same calibrated devices, also across --resume restarts (the
  // calibration is a noisy bisection: a fresh one can land 30% away).
  const quotaFile = join(work, 'quotas.json');
  const quotas: QuotaCache = new Map(existsSync(quotaFile) ? Object.entries(JSON.parse(readFileSync(quotaFile, 'utf8'))) : []) as QuotaCache;
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
  const rows: PlannerRow[] = [];
  // Rounds outermost: every cell has its first run before any has its second (load drifts between rounds alike).
  const runs = new Map<string, ModesRun[]>();
  for (let r = 0; r < reps; r++)
    for (const budget of BUDGETS)
      for (const planner of PLANNERS) {
        if (stop.signal.aborted) break;
        const key = `${args.profile}-${budget}-${planner}-r${r + 1}`;
        const log = args.resume ? (m: string) => appendFileSync(join(args.resume!, `${key}.log`), `${m}\n`) : () => {};
        const run = await kept.get(key, () =>
          runSettings({ label: planner, mode: 'coknight', set: plannerSettings(planner, budgetFlops(budget), files) }, CAP, frames, quotas, {
            log,
            signal: stop.signal,
            deviceClass: DEVICE,
          }),
        );
        if (!run) continue;
        writeFileSync(quotaFile, JSON.stringify(Object.fromEntries(quotas)));
        const plan = run.joins?.at(-1)?.planner ?? '?';
        console.log(
          `${budget} ${planner} run ${r + 1}: ${run.trainFramesPerSec.toFixed(0)} train frames/s, learner busy ${(100 * run.learnerBusy).toFixed(0)}%, ` +
            `y=[${run.splitPoints.join(',')}], plan ms [${(run.joins ?? []).map((j) => j.planMs.toFixed(2)).join(', ')}], ${plan}`,
        );
        runs.set(`${budget}/${planner}`, [...(runs.get(`${budget}/${planner}`) ?? []), run]);
      }
  for (const budget of BUDGETS)
    for (const planner of PLANNERS) {
      const list = runs.get(`${budget}/${planner}`);
      if (list) rows.push(plannerRow(planner, budget, list));
    }
  if (stop.signal.aborted) {
    console.error('testbed-planners: stopped; nothing written');
    process.exitCode = 130;
    return;
  }
  const counts = [...new Set(rows.map((r) => r.runs.length))].sort();
  const note = counts.join(' or ') === '1' ? 'one run' : `median of ${counts.join(' or ')} runs`;
  const figures: Figure[] = [];
  for (const [key, name, yLabel] of [
    ['trainFramesPerSec', 'train-frames', 'training frames/s'],
    ['learnerBusy', 'learner-busy', 'learner busy %'],
    ['medianPlanMs', 'plan-time', 'planner time per join (ms, median)'],
  ] as const)
    figures.push({
      name,
      svg: await barChart({
        title: `Live planners: ${yLabel}, 6 ${DEVICE} actors at ${CAP}, ${NETWORK} with ae4q4`,
        xLabel: 'learner budget',
        yLabel,
        bars: rows.map((r) => ({ label: r.budget, group: r.planner, value: key === 'learnerBusy' ? 100 * r[key] : r[key] })),
      }),
      caption: `${yLabel} per live planner (${note}); budgets: unlimited, or ${((2 * forward) / 1e6).toFixed(0)} MFLOP per round (two forward passes).`,
    });
  const data = { env: ENV, network: NETWORK, device: DEVICE, cap: CAP, frames, reps, forwardFlops: forward, quotas: Object.fromEntries(quotas), rows };
  const written = writeStudy({ study: 'testbed-planners', profile: args.profile, command: args.command, data, figures }, args.out);
  const table = join(args.out, 'testbed-planners', args.profile, 'table.md');
  writeFileSync(table, plannerTable(rows));
  for (const f of [...written, table]) console.log(f);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
