import { fstatSync, readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { Actor, contractEnvOptions, type SiteHead } from '../../actor/actor.js';
import type { PolicyModel } from '../../model/index.js';
// Light imports only: the model library (and tfjs) loads when the actor first runs layers itself.
import { INFERENCE_CHOICES, type InferenceChoice } from '../../model/inference-choice.js';
import {
  fetchLearnerContract,
  type LearnerContract,
  makeLink,
  parseLearnerContract,
  STEP_BLOCK_ENCODINGS,
  type StepBlockEncoding,
} from '../../transport/index.js';
import { parseDurationArg, parseIntArg, parseNumberArg } from '../args.js';
import { tokenFromFlags } from '../run-flags.js';

function parseInference(v: string): InferenceChoice {
  if (!(INFERENCE_CHOICES as readonly string[]).includes(v)) throw new InvalidArgumentError(`--inference ${v}: use one of ${INFERENCE_CHOICES.join(', ')}`);
  return v as InferenceChoice;
}

interface ActorFlags {
  learner: string;
  token?: string;
  tokenFile?: string;
  actorId?: string;
  envs: number;
  env?: string;
  seed?: number;
  bandwidth: string;
  tlsCa?: string;
  romDir?: string;
  site?: string;
  siteDevices?: string;
  sitePlan: string;
  siteLink: string;
  siteLatencyMs: number;
  siteListen?: string;
  siteHostClass?: string;
  deviceFlops?: number;
  linkBytesPerSec?: number;
  maxSteps?: number;
  uploadCompression: StepBlockEncoding;
  streams: number;
  finalStats?: boolean;
  giveUpAfter: number;
  exitWithParent?: boolean;
  backend: 'auto' | 'native' | 'tensorflow' | 'wasm' | 'cpu';
  inference: InferenceChoice;
}

export function registerActor(program: Command): void {
  program
    .command('actor')
    .description('run an actor: environments and the head layers here, the rest on the learner')
    .requiredOption('--learner <host:port>', 'learner address')
    .option('--token-file <path>', "read the learner's token from the first line of this file")
    .option('--token <secret>', 'shared token (visible in ps: prefer --token-file or $COKNIGHT_TOKEN)')
    .option('--actor-id <id>', 'unique id of this actor (default: hostname-pid)')
    .option('--envs <n>', 'environments stepped together', parseIntArg('--envs', 1), 4)
    .option('--env <id>', 'check that the learner trains this env (the env and its options always come from the learner)')
    .option('--seed <n>', "env seed (default: from the learner's run seed and this actor's index)", parseIntArg('--seed', 0))
    .option('--bandwidth <rate>', "cap on every byte this actor sends and receives, e.g. '10MB/s'", 'unlimited')
    .option('--rom-dir <dir>', 'Atari ROM directory on this device (default $COKNIGHT_ROM_DIR)')
    .option('--tls-ca <pem>', "CA certificate of the learner's TLS certificate (enables TLS)")
    .option('--device-flops <n>', 'device FLOP/s reported to the partition planner (default: measured)', parseNumberArg('--device-flops', 1))
    .option('--link-bytes-per-sec <n>', 'link speed reported to the partition planner', parseNumberArg('--link-bytes-per-sec', 1))
    .option('--max-steps <n>', 'stop after this many steps', parseIntArg('--max-steps', 1))
    .addOption(
      new Option('--upload-compression <how>', 'how trajectory uploads travel (MinAtar frames deflate 70-190x)')
        .choices([...STEP_BLOCK_ENCODINGS])
        .default('deflate'),
    )
    .option(
      '--streams <n>',
      'independent env groups, each with its own stream to the learner, sharing this link: one sends while another waits for its reply',
      parseIntArg('--streams', 1),
      1,
    )
    .option('--final-stats', 'print the final statistics as one JSON line on stdout')
    .option('--give-up-after <duration>', "stop reconnecting after this long without a learner, e.g. '90s', '10m'", parseDurationArg('--give-up-after'), 300)
    .option('--exit-with-parent', 'exit when standard input closes (spawned actors: die with the process that started them)')
    .option('--backend <name>', 'auto | native | tensorflow | webgpu | wasm | cpu', 'auto')
    .option('--inference <name>', 'who runs the head layers: auto (onnxruntime-node when it loads) | onnx | tfjs', parseInference, 'auto')
    .option('--site <instance.json>', 'run the head layers on a cooperative site of the devices in this site instance (MLS plans it)')
    .option(
      '--site-devices <classes>',
      "run the head layers on a site of these device classes, e.g. 'rpi4,rpi4,rpi3' (profiled here once the network is known)",
    )
    .option('--site-plan <name>', '--site-devices: mls | sls | single', 'mls')
    .option('--site-link <rate>', "--site-devices: each worker's link to this coordinator, as the planner sees it", '2.5MB/s')
    .option('--site-latency-ms <ms>', '--site-devices: latency per message on that link', parseNumberArg('--site-latency-ms', 0), 2)
    .option(
      '--site-listen <host:port>',
      '--site-devices: listen here and wait for workers started elsewhere (coknight site-worker --retry-for) instead of spawning them',
    )
    .option('--site-host-class <class>', "--site-devices: the device class this host is limited to (the testbed's cgroup), so the profile is scaled from it")
    .action(async (f: ActorFlags) => {
      const token = tokenFromFlags(f, (m) => console.error(m));
      if (!token) throw new Error("actor: no token; pass --token-file FILE or set COKNIGHT_TOKEN to the learner's token");
      const actorId = f.actorId ?? `${process.env.HOSTNAME ?? 'actor'}-${process.pid}`;
      // Stop requests are honoured from the first moment, wherever the actor waits; a second one, or
      // 2 s without a clean end, quits at once.
      const actors: Actor[] = [];
      const abort = new AbortController();
      let stopping = false;
      const stop = (why: string): void => {
        if (stopping) process.exit(130);
        stopping = true;
        console.error(`[actor ${actorId}] ${why}: stopping`);
        abort.abort();
        for (const a of actors) a.stop();
        setTimeout(() => process.exit(0), 1800).unref();
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      if (f.exitWithParent) {
        // Only a pipe tells us the parent is gone (its end closes when the parent dies, however it dies).
        const st = fstatSync(0);
        if (st.isFIFO() || st.isSocket()) {
          process.stdin.on('end', () => stop('parent process gone'));
          process.stdin.on('error', () => stop('parent process gone'));
          process.stdin.resume();
        } else console.error(`[actor ${actorId}] --exit-with-parent needs a pipe on standard input (the parent's); ignored`);
      }
      // tfjs is loaded only when this actor runs layers itself or measures its FLOP/s: a y = 0
      // actor with --device-flops never loads it (about half an actor process's memory).
      let backend: Promise<void> | undefined;
      const startBackend = (): Promise<void> =>
        (backend ??= import('../../backend/index.js').then(async (b) => void (await b.initBackend({ prefer: f.backend, log: () => {}, gradients: false }))));
      const tls = f.tlsCa ? { ca: readFileSync(f.tlsCa) } : undefined;
      const giveUpAfterMs = f.giveUpAfter * 1000;
      console.error(`[actor ${actorId}] asking the learner at ${f.learner} what it trains (giving up after ${f.giveUpAfter} s)`);
      let reply;
      try {
        reply = await fetchLearnerContract({ address: f.learner, token, tls, giveUpAfterMs, signal: abort.signal, seed: f.seed ?? 0 });
      } catch (e) {
        if (stopping) process.exit(0);
        throw e;
      }
      const contract = parseLearnerContract(reply.learnerConfig);
      if (f.env !== undefined && f.env !== contract.env.id) {
        throw new Error(`actor: --env ${f.env}, but the learner at ${f.learner} trains ${contract.env.id}: drop --env (actors take the learner's env)`);
      }
      const localEnvOptions = f.romDir ? { romDir: f.romDir } : {};
      const flops = f.deviceFlops ?? (await measureFlops(contract, localEnvOptions, startBackend));
      const link = makeLink(f.bandwidth);
      for (let i = 0; i < f.streams; i++) {
        const id = f.streams === 1 ? actorId : `${actorId}.${i}`;
        actors.push(
          new Actor({
            learner: f.learner,
            token,
            actorId: id,
            numEnvs: f.envs,
            contract,
            localEnvOptions,
            ...(f.seed !== undefined ? { seed: f.seed + 7919 * i } : {}),
            link,
            tls,
            profile: { flops, ...(f.linkBytesPerSec ? { linkBytesPerSec: f.linkBytesPerSec } : {}) },
            maxSteps: f.maxSteps,
            uploadEncoding: f.uploadCompression,
            inference: f.inference,
            giveUpAfterMs,
            initBackend: startBackend,
            ...(f.site || f.siteDevices ? { site: siteHead(f, (m) => console.error(`[actor ${id}] ${m}`)) } : {}),
            log: (m) => console.error(`[actor ${id}] ${m}`),
          }),
        );
      }
      if (stopping) actors.forEach((a) => a.stop());
      const all = await Promise.all(actors.map((a) => a.run()));
      const stats = {
        ...all[0],
        steps: all.reduce((n, s) => n + s.steps, 0),
        envSteps: all.reduce((n, s) => n + s.envSteps, 0),
        reconnects: all.reduce((n, s) => n + s.reconnects, 0),
        wallSeconds: Math.max(...all.map((s) => s.wallSeconds)),
        bytes: link.stats.snapshot(),
        streams: all.length,
        ended: actors[0].endReason,
      };
      if (f.finalStats) console.log(JSON.stringify(stats));
      // Sockets of grpc/zeromq may keep the loop alive a moment; the actor's work is done.
      process.exit(0);
    });
}

/** This device's forward-pass FLOP/s on the learner's network (loads tfjs). */
async function measureFlops(contract: LearnerContract, local: { romDir?: string }, startBackend: () => Promise<void>): Promise<number> {
  await startBackend();
  const [{ measureDeviceFlops }, { networkSpecFromName }] = await Promise.all([import('../../actor/profile.js'), import('../../model/index.js')]);
  return measureDeviceFlops(contract.env.id, networkSpecFromName(contract.model, 'learner contract'), contractEnvOptions(contract, local));
}

/** The cooperative-site head (issue 20), loaded only when --site asks for it: it brings tfjs and the planners. */
function siteHead(f: ActorFlags, log: (m: string) => void): (model: PolicyModel) => Promise<SiteHead> {
  if (f.site && f.siteDevices) throw new Error('actor: pass --site <instance.json> or --site-devices <classes>, not both');
  return async (model) => {
    const site = await import('./site.js');
    if (f.site) return site.siteHeadFactory(f.site, log)(model);
    const classes = (f.siteDevices ?? '').split(',').filter(Boolean);
    const listen = f.siteListen === undefined ? undefined : /^(.+):(\d+)$/.exec(f.siteListen);
    if (listen === null) throw new Error(`--site-listen must be host:port, got "${f.siteListen}"`);
    const o = {
      classes,
      plan: f.sitePlan,
      link: f.siteLink,
      latencyMs: f.siteLatencyMs,
      ...(listen ? { listen: { host: listen[1], port: Number(listen[2]) } } : {}),
      ...(f.siteHostClass ? { hostClass: f.siteHostClass } : {}),
    };
    return site.siteHeadFromClasses(o, log)(model);
  };
}
