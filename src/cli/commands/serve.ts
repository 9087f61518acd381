import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { INFERENCE_CHOICES, type InferenceChoice } from '../../model/inference-choice.js';
import { runServe } from '../../run/serve.js';
import { parseDurationArg, parseIntArg, parseNumberArg } from '../args.js';
import { tokenFromFlags } from '../run-flags.js';

interface ServeFlags {
  learner: string;
  listen: string;
  token?: string;
  tokenFile?: string;
  serverId?: string;
  advertiseHost?: string;
  tlsCa?: string;
  inference: string;
  maxBatch: number;
  maxWaitMs: number;
  giveUpAfter: number;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run an inference server for a learner: tails of the actors it assigns here, served steps forwarded to the learner')
    .requiredOption('--learner <host:port>', 'learner address')
    .option('--listen <host:port>', 'where actors reach this server (port 0: any free port)', '127.0.0.1:0')
    .option('--token-file <path>', "read the learner's token from the first line of this file")
    .option('--token <secret>', 'shared token (visible in ps: prefer --token-file or $COKNIGHT_TOKEN)')
    .option('--server-id <id>', 'unique id of this server (default: hostname-pid)')
    .option('--advertise-host <host>', 'host actors use to reach this server, when --listen binds 0.0.0.0')
    .option('--tls-ca <pem>', "CA certificate of the learner's TLS certificate (enables TLS to the learner)")
    .option('--inference <name>', 'who runs the tails: auto | onnx | tfjs', 'auto')
    .option('--max-batch <n>', 'env steps per inference batch at most', parseIntArg('--max-batch', 1), 64)
    .option('--max-wait-ms <ms>', 'how long a batch waits to fill', parseNumberArg('--max-wait-ms', 0), 2)
    .option('--give-up-after <duration>', "stop waiting for the learner after this long, e.g. '90s'", parseDurationArg('--give-up-after'), 300)
    .action(async (f: ServeFlags) => {
      if (!(INFERENCE_CHOICES as readonly string[]).includes(f.inference))
        throw new Error(`--inference ${f.inference}: use one of ${INFERENCE_CHOICES.join(', ')}`);
      const token = tokenFromFlags(f, (m) => console.error(m));
      if (!token) throw new Error("serve: no token; pass --token-file FILE or set COKNIGHT_TOKEN to the learner's token");
      const serverId = f.serverId ?? `${process.env.HOSTNAME ?? 'server'}-${process.pid}`;
      const log = (m: string): void => console.error(`[serve ${serverId}] ${m}`);
      const abort = new AbortController();
      const stop = (why: string): void => {
        if (abort.signal.aborted) process.exit(130);
        log(`${why}: stopping`);
        abort.abort();
        setTimeout(() => process.exit(0), 3000).unref();
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      const code = await runServe(
        {
          learner: f.learner,
          listen: f.listen,
          token,
          serverId,
          advertiseHost: f.advertiseHost,
          tls: f.tlsCa ? { ca: readFileSync(f.tlsCa) } : undefined,
          inference: f.inference as InferenceChoice,
          maxBatch: f.maxBatch,
          maxWaitMs: f.maxWaitMs,
          giveUpAfterMs: f.giveUpAfter * 1000,
          log,
        },
        abort.signal,
      );
      process.exit(code);
    });
}
