/**
 * Cost-model validation: for every split point y of each network, the partition cost model's
 * per-step latency T_i(y) (Eq. 6, at the actor's batch of n envs) against the measured one. Each
 * point is a real learner with the split fixed at y (distributed.splitPoints) and one real `coknight
 * actor` process whose link is capped by the application pacer; the learner's training is held off
 * (a batch larger than the window produces) so that it does not share the CPU with inference. f_d is
 * this host's FLOP/s measured as an actor measures it, f_e the learner's own measurement.
 *
 *   npx tsx experiments/cost-model.ts --quick   # minatar (K=2) and impala-shallow (K=3), 5 s per point
 *   npx tsx experiments/cost-model.ts --full    # + impala-deep (K=10), 3 runs per point (median)
 */
import { initBackend } from '../src/backend/index.js';
import { measureDeviceFlops } from '../src/actor/profile.js';
import { makeEnv } from '../src/env/index.js';
import { modelNetwork, type NetworkSpec } from '../src/partition/networks.js';
import type { NetworkSpec as ModelSpec } from '../src/model/networks.js';
import { parseBandwidth } from '../src/util/bandwidth.js';
import { runActorSteps } from './lib/cell.js';
import { scatterWithDiagonal } from './lib/charts.js';
import { studyArgs } from './lib/cli.js';
import { fitOf, measuredRequestMs, predictedRequestMs, type CostPoint } from './lib/cost-validation.js';
import { writeStudy } from './lib/results.js';
import { median } from './lib/stats.js';

interface Net {
  readonly env: string;
  readonly model: ModelSpec;
}

const LINK = '5MB/s';
const ENVS = 4;

async function main(): Promise<void> {
  const args = studyArgs('cost-model');
  const full = args.profile === 'full';
  const nets: Net[] = [
    { env: 'minatar/breakout', model: 'minatar' },
    { env: 'minatar-pixels/breakout', model: 'impala-shallow' },
    ...(full ? [{ env: 'minatar-pixels/breakout', model: 'impala-deep' as const }] : []),
  ];
  await initBackend({ log: () => {} });
  const points: (CostPoint & { deviceFlops: number; learnerFlops: number; trainingBusy: number; seconds: number; runs: number[] })[] = [];
  for (const n of nets) {
    const env = makeEnv(n.env, { seed: 0 });
    const shape = env.observationShape as [number, number, number];
    const net: NetworkSpec = modelNetwork(n.model, shape, env.numActions);
    let fd = 0;
    for (let y = 0; y <= net.layers.length; y++) {
      const runs: number[] = [];
      let fe = 0;
      let trainingBusy = 0;
      let seconds = 0;
      for (let r = 0; r < (full ? 3 : 1); r++) {
        // f_d measured right before each point: the machine is shared, so its speed drifts between points.
        fd = Math.max(await measureDeviceFlops(n.env, n.model), await measureDeviceFlops(n.env, n.model), await measureDeviceFlops(n.env, n.model));
        const run = await runActorSteps({
          mode: 'coknight',
          env: n.env,
          envsPerActor: ENVS,
          bandwidth: LINK,
          config: { model: n.model, hyper: { batchSize: 256, unrollLength: 50 }, distributed: { splitPoints: [y], maxQueuedUnrolls: 512 } },
          maxSteps: full ? 600 : 200,
        });
        runs.push(measuredRequestMs(run.envSteps, run.wallSeconds, ENVS));
        fe = run.edgeFlops;
        trainingBusy = Math.max(trainingBusy, run.trainingBusy);
        seconds += run.wallSeconds;
        if (run.splitPoint !== y) throw new Error(`${n.model}: asked for y=${y}, the actor ran at y=${run.splitPoint}`);
      }
      const p = {
        network: n.model,
        y,
        predictedMs: predictedRequestMs(net, y, ENVS, fd, fe, parseBandwidth(LINK)),
        predictedWithUploadMs: predictedRequestMs(net, y, ENVS, fd, fe, parseBandwidth(LINK), true),
        measuredMs: median(runs),
        deviceFlops: fd,
        learnerFlops: fe,
        trainingBusy,
        seconds,
        runs,
      };
      console.log(
        `${n.model} y=${y}: predicted ${p.predictedMs.toFixed(2)} ms, measured ${p.measuredMs.toFixed(2)} ms (f_d ${(fd / 1e9).toFixed(2)}G, f_e ${(fe / 1e9).toFixed(2)}G)`,
      );
      points.push(p);
    }
  }
  const figures = [];
  const fits: Record<string, unknown> = {};
  for (const which of ['predictedMs', 'predictedWithUploadMs'] as const) {
    const fit = fitOf(points, which);
    const perNetwork = Object.fromEntries(
      nets.map((n) => [
        n.model,
        fitOf(
          points.filter((p) => p.network === n.model),
          which,
        ),
      ]),
    );
    fits[which] = { fit, perNetwork };
    const what = which === 'predictedMs' ? 'Eq. 6' : 'Eq. 6 + training upload';
    console.log(what, JSON.stringify({ fit, perNetwork }));
    figures.push({
      name: which === 'predictedMs' ? 'eq6-vs-measured' : 'eq6-upload-vs-measured',
      svg: await scatterWithDiagonal({
        title: `${what} vs measured, ${ENVS} envs/request, ${LINK} (R² ${fit.r2.toFixed(2)}, worst ${(100 * fit.worstRelativeError).toFixed(0)}%)`,
        xLabel: `predicted ms per request (${what})`,
        yLabel: 'measured ms per request',
        points: points.map((p) => ({ x: p[which], y: p.measuredMs, group: p.network, label: `y=${p.y}` })),
      }),
      caption:
        `${what} T_i(y) vs the actor's measured time per request for every split of ${nets.map((n) => n.model).join(', ')}: R² ${fit.r2.toFixed(2)}, ` +
        `worst relative error ${(100 * fit.worstRelativeError).toFixed(0)}% (${fit.worstAt}), median unmodelled offset ${fit.medianOffsetMs.toFixed(1)} ms.`,
    });
  }
  const data = { link: LINK, envsPerActor: ENVS, fits, points };
  for (const f of writeStudy({ study: 'cost-model', profile: args.profile, command: args.command, data, figures }, args.out)) console.log(f);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
