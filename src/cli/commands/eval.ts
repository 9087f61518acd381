import type { Command } from 'commander';
import { initBackend } from '../../backend/index.js';
import type { InferenceChoice } from '../../model/index.js';
import { evaluateCheckpoint } from '../../run/evaluate.js';
import { TaskProgress } from '../../run/task-progress.js';
import { parseIntArg } from '../args.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('score a checkpoint: mean/median return of its greedy and its sampling policy')
    .requiredOption('--checkpoint <path>', 'run directory or checkpoint file')
    .option('--episodes <n>', 'episodes per policy', parseIntArg('--episodes', 1), 100)
    .option('--seed <n>', 'seed of the evaluation episodes', parseIntArg('--seed', 0), 12345)
    .option('--max-episode-steps <n>', 'cap on episode length (a perfect policy may never lose)', parseIntArg('--max-episode-steps', 1))
    .option('--backend <name>', 'auto | native | tensorflow | webgpu | wasm | cpu', 'auto')
    .option('--inference <name>', "auto | onnx | tfjs (default: the checkpoint config's)")
    .option('--json', 'print the result as JSON')
    .action(
      async (o: {
        checkpoint: string;
        episodes: number;
        seed: number;
        maxEpisodeSteps?: number;
        backend: 'auto';
        inference?: InferenceChoice;
        json?: boolean;
      }) => {
        await initBackend({ prefer: o.backend, log: o.json ? () => {} : (m) => console.error(m) });
        const progress = new TaskProgress('eval', 2 * o.episodes, { unit: 'episodes', kind: o.json ? 'none' : 'auto' });
        const log = o.json ? () => {} : (m: string) => console.error(m);
        const r = await evaluateCheckpoint(o.checkpoint, o.episodes, o.seed, o.maxEpisodeSteps, (policy) => progress.tick(1, policy), o.inference, log);
        progress.stop();
        if (o.json) {
          console.log(JSON.stringify(r));
          return;
        }
        console.log(`${r.env}, checkpoint at ${r.checkpointFrames} frames, ${o.episodes} episodes per policy:`);
        for (const [name, s] of [
          ['greedy', r.greedy],
          ['sampling', r.sampling],
        ] as const) {
          console.log(
            `  ${name.padEnd(8)} mean ${s.meanReturn.toFixed(2)}  median ${s.medianReturn.toFixed(2)}  ` +
              `min ${s.minReturn}  max ${s.maxReturn}  mean length ${s.meanLength.toFixed(1)}`,
          );
        }
      },
    );
}
