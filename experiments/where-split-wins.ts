/**
 * Where split inference wins: device class × link rate × learner FLOP/s, for the IMPALA networks on
 * 84×84×4 frames, 12 identical actors (64 too with --full). Per cell the throughput model
 * (experiments/lib/throughput-model.ts, on the partition cost model) gives the training steps/s of
 * Seed-RL, IMPALA and Coknight (DEFP's plan, printed in the cell), and which wins. Device classes are
 * the testbed's (src/testbed/classes.ts), converted to effective FLOP/s with this host's measured
 * FLOP/s on the real layers exactly as the testbed calibrates them. Also (issue 12 item 5): every
 * cell where DEFP puts actors at an intermediate split, whether that beats both baselines, and the
 * bytes-per-split against compute table that explains the answer. One row set per feature codec
 * (experiments/lib/codecs.ts: float32, f16, q8, q4, ae4q4 at every split they fit), DEFP planning with
 * the codec; `summary.byCodec` counts, per network and codec, the cells where DEFP's intermediate plan
 * beats both baselines.
 *
 *   npx tsx experiments/where-split-wins.ts --quick | --full [--host-flops 4.35e9]
 */
import { initBackend } from '../src/backend/index.js';
import { measureDeviceFlops } from '../src/actor/profile.js';
import { impalaDeepNetwork, impalaShallowNetwork, type NetworkSpec } from '../src/partition/networks.js';
import { lineChart } from '../src/plot/charts.js';
import { calibrate, DEVICE_CLASSES } from '../src/testbed/classes.js';
import { probeHost } from '../src/testbed/host.js';
import { labelledGrid } from './lib/charts.js';
import { studyArgs } from './lib/cli.js';
import { codecRows } from './lib/codecs.js';
import type { NetworkSpec as ModelSpec } from '../src/model/networks.js';
import { writeStudy, type Figure } from './lib/results.js';
import { describePlan, latencyWindow, splitTable, sweepCell, type SweepCell } from './lib/split-sweep.js';
import { uploadBytesPerStep } from './lib/upload-size.js';

const WINNERS = ['seed', 'seed = coknight', 'coknight', 'impala = coknight', 'impala'];
const mbps = (b: number): string => `${b / 1e6 >= 1 ? (b / 1e6).toFixed(0) : (b / 1e6).toFixed(1)} MB/s`;
const gflops = (f: number): string => (f >= 1e12 ? `${f / 1e12} TFLOP/s` : `${f / 1e9} GFLOP/s`);

export interface SweepAxes {
  readonly links: number[];
  readonly learners: number[];
  readonly actorCounts: number[];
}

export function sweepAxes(profile: 'quick' | 'full'): SweepAxes {
  return profile === 'full'
    ? { links: [0.25, 0.5, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 100].map((m) => m * 1e6), learners: [2e9, 5e9, 2e10, 5e10, 2e11, 5e12], actorCounts: [12, 64] }
    : { links: [0.5, 1, 2, 5, 10, 20, 50, 100].map((m) => m * 1e6), learners: [5e9, 5e10, 5e11, 5e12], actorCounts: [12] };
}

async function gridFigure(net: NetworkSpec, cells: SweepCell[], axes: SweepAxes, devices: string[], actors: number, codec: string): Promise<Figure> {
  const rows = axes.learners.flatMap((f) => devices.map((d) => `${d} | learner ${gflops(f)}`));
  const svg = await labelledGrid({
    title: `Which mode wins (training steps/s): ${net.name}, ${actors} actors, codec ${codec}`,
    colLabel: 'link rate per actor',
    rowLabel: 'device class | learner FLOP/s',
    cols: axes.links.map(mbps),
    rows,
    values: WINNERS,
    cells: cells.map((c) => ({
      col: mbps(c.linkBytesPerSec),
      row: `${c.device} | learner ${gflops(c.learnerFlops)}`,
      value: c.winner,
      text: `${describePlan(c.defpPlan)}${c.uniformIntermediateWins ? ` ★y${c.bestUniform}` : ''}`,
    })),
  });
  return {
    name: `winner-${net.name}-${actors}-${codec}`,
    svg,
    caption: `${net.name}, ${actors} actors: the mode with the most training steps/s in the throughput model per device class × link × learner FLOP/s, DEFP's plan in each cell; ★y marks cells where every actor at that intermediate split would beat all three modes by > 1% (codec ${codec}).`,
  };
}

async function main(): Promise<void> {
  const args = studyArgs('where-split-wins', process.argv, [
    { flag: 'host-flops', description: "this host's FLOP/s on the IMPALA shallow net (default: measured; pin it to repeat a run on a loaded machine)" },
  ]);
  const axes = sweepAxes(args.profile);
  await initBackend({ prefer: 'wasm', log: () => {}, gradients: false });
  let measured = 0;
  // Best of five: a busy neighbour only lowers a measurement.
  if (args.numbers.hostFlops === undefined) for (let i = 0; i < 5; i++) measured = Math.max(measured, await measureDeviceFlops('minatar-pixels/breakout'));
  const hostFlops = args.numbers.hostFlops ?? measured;
  const mhz = probeHost().mhz;
  // The four classes the committed sweeps cover (rpi-zero came later, for testbed-modes).
  const devices = ['rpi3', 'rpi4', 'jetson-nano', 'phone'];
  const deviceFlops = Object.fromEntries(devices.map((d) => [d, calibrate(DEVICE_CLASSES[d], hostFlops, mhz).flops]));
  console.log(
    `host ${(hostFlops / 1e9).toFixed(2)} GFLOP/s at ${mhz} MHz; devices: ${devices.map((d) => `${d} ${(deviceFlops[d] / 1e9).toFixed(2)}G`).join(', ')}`,
  );
  // Actors deflate their trajectory uploads (src/transport/wire/step-block.ts): priced at what they send.
  const uploadBytes = uploadBytesPerStep('minatar-pixels/breakout');
  console.log(`training upload: ${uploadBytes.toFixed(0)} B per env step deflated (28,224 raw)`);
  const nets = [impalaShallowNetwork(6), impalaDeepNetwork(6)];
  const cells: SweepCell[] = [];
  const figures: Figure[] = [];
  const rows = new Map(nets.map((n) => [n.name, codecRows(n.name as ModelSpec, [84, 84, 4])]));
  for (const net of nets)
    for (const codec of rows.get(net.name)!)
      for (const actors of axes.actorCounts) {
        const mine: SweepCell[] = [];
        for (const learnerFlops of axes.learners)
          for (const device of devices)
            for (const link of axes.links)
              mine.push(sweepCell({ net, device, deviceFlops: deviceFlops[device], linkBytesPerSec: link, learnerFlops, actors, codec, uploadBytes }));
        cells.push(...mine);
        figures.push(await gridFigure(net, mine, axes, devices, actors, codec.name));
      }
  // Item 5: the bytes-per-split table and, per device class, the links where an intermediate split has the lowest latency.
  const rates = Array.from({ length: 61 }, (_, i) => 1e5 * Math.pow(10, i / 20)); // 0.1 … 100 MB/s
  const why = nets.map((net) => ({
    network: net.name,
    table: splitTable(net),
    latencyWindows: devices.flatMap((d) =>
      Array.from({ length: net.layers.length - 1 }, (_, i) => i + 1).map((y) => {
        const w = latencyWindow(net, deviceFlops[d], 5e12, y, rates);
        return { device: d, y, fromBytesPerSec: w.length ? Math.min(...w) : null, toBytesPerSec: w.length ? Math.max(...w) : null };
      }),
    ),
  }));
  for (const net of nets) {
    const t = splitTable(net);
    const total = t[t.length - 1].deviceFlops;
    figures.push({
      name: `bytes-vs-compute-${net.name}`,
      svg: await lineChart({
        title: `${net.name} on 84×84×4: bytes sent at split y vs device compute`,
        xLabel: 'split point y',
        yLabel: 'fraction',
        series: [
          { name: 'b_y / b_0 (bytes sent, float32 activations)', points: t.map((r) => [r.y, r.bytes / net.inputBytes]) },
          { name: 'C_d(y) / C (device share of the FLOPs)', points: t.map((r) => [r.y, r.deviceFlops / total]) },
        ],
      }),
      caption: `${net.name}: bytes a split at y sends (relative to the 28,224-byte frame) against the share of the network's FLOPs the device then runs.`,
    });
  }
  const inter = cells.filter((c) => c.intermediate);
  const wins = cells.filter((c) => c.intermediateWins);
  // Per (network, codec): how often DEFP goes intermediate, and whether that beats both baselines.
  const byCodec = [...rows].flatMap(([network, codecs]) =>
    codecs.map((c) => {
      const mine = cells.filter((x) => x.network === network && x.codec === c.name);
      const best = mine.filter((x) => x.intermediateWins).sort((a, b) => b.defp / Math.max(b.seed, b.impala) - a.defp / Math.max(a.seed, a.impala))[0];
      return {
        network,
        codec: c.name,
        cells: mine.length,
        intermediateCells: mine.filter((x) => x.intermediate).length,
        intermediateWins: mine.filter((x) => x.intermediateWins).length,
        winners: Object.fromEntries(WINNERS.map((w) => [w, mine.filter((x) => x.winner === w).length])),
        bestIntermediateWin: best && {
          device: best.device,
          link: mbps(best.linkBytesPerSec),
          learner: gflops(best.learnerFlops),
          plan: describePlan(best.defpPlan),
          stepsPerSec: { coknight: best.defp, seed: best.seed, impala: best.impala },
          gainOverBestBaseline: best.defp / Math.max(best.seed, best.impala),
        },
      };
    }),
  );
  const summary = {
    byCodec,
    cells: cells.length,
    intermediateCells: inter.length,
    intermediateWins: wins.length,
    uniformIntermediateWins: cells.filter((c) => c.uniformIntermediateWins).length,
    uniformIntermediateExamples: cells
      .filter((c) => c.uniformIntermediateWins)
      .slice(0, 12)
      .map((c) => ({
        network: c.network,
        device: c.device,
        link: mbps(c.linkBytesPerSec),
        learner: gflops(c.learnerFlops),
        actors: c.actors,
        y: c.bestUniform,
        stepsPerSec: { uniform: c.uniform[c.bestUniform], seed: c.seed, impala: c.impala, coknight: c.defp },
        defpPlan: describePlan(c.defpPlan),
      })),
    winners: Object.fromEntries(WINNERS.map((w) => [w, cells.filter((c) => c.winner === w).length])),
    examples: wins.slice(0, 10).map((c) => ({ ...c, plan: describePlan(c.defpPlan) })),
  };
  console.log(JSON.stringify(summary, null, 1));
  const data = {
    hostFlops,
    mhz,
    deviceFlops,
    uploadBytesPerStep: uploadBytes,
    axes,
    codecs: [...rows].map(([network, cs]) => ({ network, rows: cs.map((c) => ({ name: c.name, description: c.description })) })),
    summary,
    why,
    cells,
  };
  for (const f of writeStudy({ study: 'where-split-wins', profile: args.profile, command: args.command, data, figures }, args.out)) console.log(f);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
