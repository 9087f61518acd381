/**
 * Issue 20's experiment: one site's latency and inferences/s vs number of devices, for MLS,
 * LC-PSS + OSDS and the baselines (SLS, single device), on IMPALA shallow and deep at 84×84.
 *
 *   npx tsx experiments/coop-inference.ts --quick     # minutes: devices 1,2,4,8 predicted; 1..3 measured
 *   npx tsx experiments/coop-inference.ts --full      # devices 1..8 predicted; 1..4 measured; longer OSDS
 *
 * Predicted: every planner on site instances built from this host's measured per-layer, per-height
 * tables (the planners' input, as `coknight profile --site` writes it), scaled per device class by
 * the testbed's calibrated speed ratio, homogeneous (rpi4) and heterogeneous (phone, rpi4, nano, rpi3)
 * sites, at two link rates. Measured: real worker processes on this host over loopback TCP, each
 * planner's plan run end to end, next to what the same planner predicts for that host site.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { initBackend } from '../src/backend/index.js';
import { profileSiteLayers } from '../src/coop/profile-site.js';
import { Site } from '../src/coop/site.js';
import type { NetworkSpec } from '../src/model/index.js';
import { solveSite, type SiteAlgorithm, type SiteSolution } from '../src/partition/coop/index.js';
import { lineChart, svgToPng } from '../src/plot/index.js';
import { probeHost } from '../src/testbed/host.js';
import { Rng } from '../src/util/rng.js';
import { measureLoopback } from './coop-inference/link.js';
import { MIXES, siteInstance, type Mix } from './coop-inference/scenarios.js';
import { testbedHasNetem, testbedUnavailable, withTestbedSite } from './coop-inference/testbed-site.js';

const o = new Command()
  .option('--quick', 'short run')
  .option('--full', 'the full sweep')
  .option('--out <dir>', 'results folder')
  .parse()
  .opts<Record<string, unknown>>();
const quick = o.full !== true;
const out = String(o.out ?? 'experiments/results/coop-inference');
mkdirSync(out, { recursive: true });
const NETS: NetworkSpec[] = ['impala-shallow', 'impala-deep'];
const ALGOS: SiteAlgorithm[] = ['mls', 'lcpss-osds', 'sls', 'single'];
const COUNTS = quick ? [1, 2, 4, 8] : [1, 2, 3, 4, 5, 6, 7, 8];
const MEASURED = quick ? [1, 2, 3] : [1, 2, 3, 4];
const LINKS = {
  '20Mbit/s': { bytesPerSec: 2.5e6, latencySeconds: 2e-3 },
  '200Mbit/s': { bytesPerSec: 25e6, latencySeconds: 5e-4 },
};
const EPISODES = quick ? 80 : 300;
const REPS = quick ? 3 : 7;
const STEPS = quick ? 8 : 20;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const log = (m: string): void => console.error(`[coop-inference] ${m}`);

await initBackend({ log: () => {}, gradients: true, threads: 1 });
const mhz = probeHost().mhz;
const loopback = await measureLoopback();
log(`loopback ${(loopback.bytesPerSec / 1e6).toFixed(0)} MB/s, ${(loopback.latencySeconds * 1e6).toFixed(0)} µs one way; host ${mhz} MHz`);

interface Predicted {
  network: string;
  mix: Mix;
  link: string;
  devices: number;
  algorithm: string;
  seconds: number;
  inferencesPerSec: number;
  devicesUsed: number;
  blocks: string;
}
interface Measured {
  network: string;
  devices: number;
  algorithm: string;
  predictedSeconds: number;
  measuredSeconds: number;
  /** Fastest of the timed steps: what the site does when the shared host leaves it alone. */
  bestSeconds: number;
  ratio: number;
  blocks: string;
}
const predicted: Predicted[] = [];
const testbed: (Measured & { link: string })[] = [];
const noTestbed = testbedUnavailable();
if (noTestbed) log(`testbed unavailable (${noTestbed}): no namespace/cgroup measurements`);
const measured: Measured[] = [];
const describe = (b: { from: number; to: number; mode: string }[]): string => b.map((x) => `${x.from}-${x.to}:${x.mode}`).join(' ');

for (const network of NETS) {
  const t0 = performance.now();
  const host = profileSiteLayers(network, [84, 84, 4], 1, REPS);
  log(`${network}: profiled every layer at every height in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const mix of Object.keys(MIXES) as Mix[]) {
    for (const [linkName, link] of Object.entries(LINKS)) {
      for (const n of COUNTS) {
        const inst = siteInstance(network, host, mhz, MIXES[mix](n), link);
        for (const algorithm of ALGOS) {
          const r = await solveSite(inst, algorithm, { osds: { episodes: EPISODES, seed: 1 } });
          predicted.push({
            network,
            mix,
            link: linkName,
            devices: n,
            algorithm,
            seconds: r.seconds,
            inferencesPerSec: 1 / r.seconds,
            devicesUsed: r.devicesUsed,
            blocks: describe(r.plan.blocks as never),
          });
        }
      }
      log(`${network} ${mix} ${linkName}: predicted`);
    }
  }
  // measured: n real workers of class 'host' on loopback, every planner's plan
  for (const n of MEASURED) {
    const inst = siteInstance(
      network,
      host,
      mhz,
      Array.from({ length: n }, () => 'host'),
      loopback,
    );
    const plans = new Map<string, Awaited<ReturnType<typeof solveSite>>>();
    for (const a of ALGOS) plans.set(a, await solveSite(inst, a, { osds: { episodes: EPISODES, seed: 1 } }));
    const site = await Site.start({
      spec: network,
      inputShape: [84, 84, 4],
      numActions: 4,
      devices: inst.devices.map((d) => ({ id: d.id })),
      plan: () => (plans.get('mls') as SiteSolution).plan,
    });
    const rng = new Rng(3);
    const obs = Uint8Array.from({ length: 84 * 84 * 4 }, () => rng.int(256));
    try {
      for (const a of ALGOS) {
        const r = plans.get(a) as Awaited<ReturnType<typeof solveSite>>;
        site.setPlanner(() => r.plan);
        // interleave warm-up, then STEPS timed steps of this plan
        for (let i = 0; i < 2; i++) await site.head(obs, 1);
        const ts: number[] = [];
        for (let i = 0; i < STEPS; i++) ts.push((await site.head(obs, 1)).seconds);
        const m = median(ts);
        measured.push({
          network,
          devices: n,
          algorithm: a,
          predictedSeconds: r.seconds,
          measuredSeconds: m,
          bestSeconds: Math.min(...ts),
          ratio: m / r.seconds,
          blocks: describe(r.plan.blocks as never),
        });
        log(`${network} measured n=${n} ${a}: ${(m * 1e3).toFixed(2)} ms (predicted ${(r.seconds * 1e3).toFixed(2)} ms)`);
      }
    } finally {
      await site.close();
    }
  }
  // on the testbed: n rpi4-class workers, each in a namespace behind a shaped 20 Mbit/s link and a CPU quota
  for (const n of noTestbed ? [] : MEASURED) {
    const classes = Array.from({ length: n }, () => 'rpi4');
    // tbf shapes the rate; without netem no delay is emulated, so the model gets loopback latency
    const link = { bytesPerSec: LINKS['20Mbit/s'].bytesPerSec, latencySeconds: testbedHasNetem() ? LINKS['20Mbit/s'].latencySeconds : loopback.latencySeconds };
    const inst = siteInstance(network, host, mhz, classes, link);
    const sols = new Map<string, SiteSolution>();
    for (const a of ALGOS) sols.set(a, await solveSite(inst, a, { osds: { episodes: EPISODES, seed: 1 } }));
    await withTestbedSite(classes, '2.5MB/s', async (devices, address) => {
      const site = await Site.start({
        spec: network,
        inputShape: [84, 84, 4],
        numActions: 4,
        devices,
        host: address,
        plan: () => (sols.get('mls') as SiteSolution).plan,
      });
      const rng = new Rng(4);
      const obs = Uint8Array.from({ length: 84 * 84 * 4 }, () => rng.int(256));
      try {
        for (const a of ALGOS) {
          const r = sols.get(a) as SiteSolution;
          site.setPlanner(() => r.plan);
          for (let i = 0; i < 2; i++) await site.head(obs, 1);
          const ts: number[] = [];
          for (let i = 0; i < STEPS; i++) ts.push((await site.head(obs, 1)).seconds);
          const m = median(ts);
          testbed.push({
            network,
            link: '20Mbit/s',
            devices: n,
            algorithm: a,
            predictedSeconds: r.seconds,
            measuredSeconds: m,
            bestSeconds: Math.min(...ts),
            ratio: m / r.seconds,
            blocks: describe(r.plan.blocks as never),
          });
          log(`${network} testbed n=${n} ${a}: ${(m * 1e3).toFixed(2)} ms (predicted ${(r.seconds * 1e3).toFixed(2)} ms)`);
        }
      } finally {
        await site.close();
      }
    });
  }
}

writeFileSync(
  join(out, 'results.json'),
  `${JSON.stringify({ quick, loopback, mhz, links: LINKS, episodes: EPISODES, predicted, measured, testbed, testbedNetem: noTestbed ? null : testbedHasNetem() }, null, 1)}\n`,
);

for (const network of NETS) {
  for (const mix of Object.keys(MIXES) as Mix[]) {
    for (const linkName of Object.keys(LINKS)) {
      const series = ALGOS.map((a) => ({
        name: a,
        points: predicted
          .filter((p) => p.network === network && p.mix === mix && p.link === linkName && p.algorithm === a)
          .map((p) => [p.devices, p.inferencesPerSec] as [number, number]),
      }));
      const svg = await lineChart({ title: `${network}, ${mix}, ${linkName} (predicted)`, xLabel: 'devices', yLabel: 'inferences/s', series });
      const file = `${network}-${mix}-${linkName.replace('/', 'p')}`;
      writeFileSync(join(out, `${file}.svg`), svg);
      writeFileSync(join(out, `${file}.png`), svgToPng(svg));
    }
  }
  const series = ALGOS.flatMap((a) => [
    {
      name: `${a} measured`,
      points: measured.filter((m) => m.network === network && m.algorithm === a).map((m) => [m.devices, m.measuredSeconds * 1e3] as [number, number]),
    },
    {
      name: `${a} predicted`,
      points: measured.filter((m) => m.network === network && m.algorithm === a).map((m) => [m.devices, m.predictedSeconds * 1e3] as [number, number]),
    },
  ]);
  const svg = await lineChart({ title: `${network}: host workers on loopback, measured vs predicted`, xLabel: 'devices', yLabel: 'ms per step', series });
  writeFileSync(join(out, `${network}-measured.svg`), svg);
  writeFileSync(join(out, `${network}-measured.png`), svgToPng(svg));
}

const lines = [
  '| network | mix | link | devices | ' + ALGOS.join(' | ') + ' | best / single |',
  '|---|---|---|---|' + ALGOS.map(() => '---|').join('') + '---|',
];
for (const network of NETS)
  for (const mix of Object.keys(MIXES) as Mix[])
    for (const linkName of Object.keys(LINKS))
      for (const n of COUNTS) {
        const row = ALGOS.map(
          (a) => predicted.find((p) => p.network === network && p.mix === mix && p.link === linkName && p.devices === n && p.algorithm === a) as Predicted,
        );
        const best = Math.min(...row.map((r) => r.seconds));
        lines.push(
          `| ${network} | ${mix} | ${linkName} | ${n} | ${row.map((r) => r.inferencesPerSec.toFixed(1)).join(' | ')} | ${(row[3].seconds / best).toFixed(2)}× |`,
        );
      }
lines.push(
  '',
  '| network | devices | algorithm | measured ms (median) | fastest step ms | predicted ms | median / predicted | blocks |',
  '|---|---|---|---|---|---|---|---|',
);
for (const m of measured)
  lines.push(
    `| ${m.network} | ${m.devices} | ${m.algorithm} | ${(m.measuredSeconds * 1e3).toFixed(2)} | ${(m.bestSeconds * 1e3).toFixed(2)} | ${(m.predictedSeconds * 1e3).toFixed(2)} | ${m.ratio.toFixed(2)} | ${m.blocks} |`,
  );
lines.push(
  '',
  'On the testbed (rpi4-class CPU quota, 20 Mbit/s tbf-shaped link per worker namespace):',
  '',
  '| network | devices | algorithm | measured ms (median) | fastest step ms | predicted ms | median / predicted | blocks |',
  '|---|---|---|---|---|---|---|---|',
);
for (const m of testbed)
  lines.push(
    `| ${m.network} | ${m.devices} | ${m.algorithm} | ${(m.measuredSeconds * 1e3).toFixed(2)} | ${(m.bestSeconds * 1e3).toFixed(2)} | ${(m.predictedSeconds * 1e3).toFixed(2)} | ${m.ratio.toFixed(2)} | ${m.blocks} |`,
  );
writeFileSync(join(out, 'results.md'), `${lines.join('\n')}\n`);
log(`wrote ${out}/results.json, results.md and the charts`);
