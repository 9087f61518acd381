import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A small run directory as coknight train writes one (config.json, episodes.jsonl, train.jsonl, summary.json). */
export function fakeRun(
  dir: string,
  o: { env?: string; mode?: string; seed?: number; episodes?: number; slope?: number; finished?: boolean; actors?: number; lr?: number } = {},
): string {
  mkdirSync(dir, { recursive: true });
  const env = o.env ?? 'minatar/breakout';
  const n = o.episodes ?? 50;
  const slope = o.slope ?? 0.01;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      env: { id: env },
      mode: o.mode ?? 'seed',
      seed: o.seed ?? 1,
      frames: n * 20,
      hyper: { learningRate: o.lr ?? 0.005 },
      run: { returnWindow: 10 },
    }),
  );
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      JSON.stringify({
        time: new Date(t0 + i * 100).toISOString(),
        frames: (i + 1) * 20,
        ret: slope * i,
        return: slope * i,
        length: 20,
        actor: `a${i % 2}`,
        env: 0,
      }),
    );
  }
  writeFileSync(join(dir, 'episodes.jsonl'), lines.map((l) => `${l}\n`).join(''));
  const train = [
    { time: new Date(t0).toISOString(), event: 'join', actor: 'a0', splitPoint: 1, plan: { planner: 'defp', assignment: { a0: 1 } } },
    { time: new Date(t0 + 10).toISOString(), event: 'join', actor: 'a1', splitPoint: 2, plan: { planner: 'defp', assignment: { a0: 0, a1: 2 } } },
    { time: new Date(t0 + 1000).toISOString(), frames: 200, framesPerSecond: 200, inferenceBusy: 0.3, trainingBusy: 0.4, policyLag: 1, loss: 1, entropy: 1 },
  ];
  writeFileSync(join(dir, 'train.jsonl'), train.map((l) => `${JSON.stringify(l)}\n`).join(''));
  if (o.finished !== false) {
    const actors = Array.from({ length: o.actors ?? 2 }, (_, i) => ({
      id: `a${i}`,
      splitPoint: i,
      stepsServed: 100,
      stepsLocal: 5,
      learnerBytesReceived: 1000,
      learnerBytesSent: 500,
      restarts: i,
    }));
    writeFileSync(
      join(dir, 'summary.json'),
      JSON.stringify({
        env,
        mode: o.mode ?? 'seed',
        frames: n * 20,
        wallSeconds: n / 10,
        framesPerSecond: 200,
        finalMeanReturn: slope * (n - 5),
        inferenceBusyFraction: 0.3,
        trainingBusyFraction: 0.4,
        K: 3,
        actors,
      }),
    );
  }
  return dir;
}

/** Appends one episode line (a run still being written). */
export function appendEpisode(dir: string, frames: number, ret: number): void {
  appendFileSync(join(dir, 'episodes.jsonl'), `${JSON.stringify({ time: new Date().toISOString(), frames, return: ret, length: 10 })}\n`);
}
