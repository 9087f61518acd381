/**
 * Round-trip latency and requests/s of the gRPC inference stream on loopback.
 *
 * The learner side runs in a child process (so client and server do not share one event loop)
 * and answers every StepRequest at once with a 1-env StepReply (no model): this measures the
 * transport — framing, validation, gRPC, TCP — not inference. Each client is an InferenceClient
 * with its own channel, running a closed loop (send, await reply, repeat) for --seconds.
 * For every (payload size, clients) cell the benchmark runs --runs times and reports the median
 * over runs of the median round trip, its p90, and the median total requests/s.
 *
 * Usage: npx tsx bench/transport-roundtrip.ts [--runs 3] [--seconds 1] [--sizes 1000,28000,100000] [--clients 1,8,32]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { connectInference, openRawInferenceStream, startInferenceServer } from '../src/transport/index.js';
import { encode } from '../src/transport/wire/index.js';

const TOKEN = 'bench';

function intList(flag: string) {
  return (v: string): number[] => {
    const xs = v.split(',').map(Number);
    if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 1))
      throw new InvalidArgumentError(`${flag} must be a comma-separated list of integers >= 1, got "${v}"`);
    return xs;
  };
}

async function serve(): Promise<void> {
  const s = await startInferenceServer({
    address: '127.0.0.1:0',
    token: TOKEN,
    handler: {
      register: () => ({ splitPoint: 0, numLayers: 1, paramVersion: 0, paramsAddress: '', uploadAddress: '' }),
      step: async (req) => ({
        numEnvs: req.numEnvs,
        numActions: 2,
        actions: new Int32Array(req.numEnvs),
        logits: new Float32Array(req.numEnvs * 2),
        values: new Float32Array(req.numEnvs),
      }),
    },
  });
  process.stdout.write(`${s.port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void s.close().then(() => process.exit(0)));
}

/**
 * Same loop over a bare stream: pre-encoded frames, replies not decoded, no client bookkeeping.
 * The gap to runCell is the cost of InferenceClient (encode, validation, correlation, pacing hooks).
 */
async function runBareCell(address: string, size: number, clients: number, seconds: number): Promise<CellResult> {
  const payload = new Uint8Array(size).map((_, i) => i & 255);
  const frame = (stepId: number) =>
    encode({
      type: 'StepRequest',
      stepId,
      splitPoint: 0,
      headVersion: 0,
      dtype: 'uint8',
      shape: [size],
      numEnvs: 1,
      payload,
      rewards: new Float32Array(1),
      dones: new Uint8Array(1),
    });
  const streams = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const raw = openRawInferenceStream({ address, token: TOKEN });
      raw.stream.write(
        encode({ type: 'Hello', protocolVersion: 1, actorId: `bare${i}`, token: TOKEN, numEnvs: 1, obsShape: [size], numActions: 2, splitPoint: 0 }),
      );
      await new Promise((r) => raw.stream.once('data', r));
      return raw;
    }),
  );
  // Step ids must increase on a stream (the server refuses a replay), so each stream keeps one
  // pre-encoded frame and overwrites its stepId (the body's first u32, after the 12-byte header).
  const frames = streams.map(() => frame(0));
  let nextId = 1;
  const send = (k: number): Buffer => {
    const f = frames[k]!;
    f.writeUInt32LE(nextId++, 12);
    return f;
  };
  const warmEnd = performance.now() + 300;
  await Promise.all(
    streams.map(async ({ stream }, k) => {
      while (performance.now() < warmEnd) {
        const got = new Promise((r) => stream.once('data', r));
        stream.write(send(k));
        await got;
      }
    }),
  );
  const rtts: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    streams.map(async ({ stream }, k) => {
      while (performance.now() < end) {
        const t = performance.now();
        const got = new Promise((r) => stream.once('data', r));
        stream.write(send(k));
        await got;
        rtts.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / rtts.length;
  for (const s of streams) s.close();
  return { p50: quantile(rtts, 0.5), p90: quantile(rtts, 0.9), rps: rtts.length / elapsed, cpuUs };
}

interface CellResult {
  p50: number;
  p90: number;
  rps: number;
  /** Client-process CPU time (user + system) per round trip, µs: robust to other load on the box. */
  cpuUs: number;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function runCell(address: string, size: number, clients: number, seconds: number): Promise<CellResult> {
  const cs = Array.from({ length: clients }, (_, i) =>
    connectInference({ address, token: TOKEN, hello: { actorId: `c${i}`, numEnvs: 1, obsShape: [size], numActions: 2, splitPoint: 0 } }),
  );
  await Promise.all(cs.map((c) => c.ready()));
  const payload = new Uint8Array(size).map((_, i) => i & 255);
  const rewards = new Float32Array(1);
  const dones = new Uint8Array(1);
  const shape = [size];
  // A fresh object literal per step, as the actor builds it (an object spread here costs ~2 µs).
  const request = (stepId: number) => ({ stepId, splitPoint: 0, headVersion: 0, dtype: 'uint8' as const, shape, numEnvs: 1, payload, rewards, dones });
  // Warm up (connections, JIT) for 0.3 s before measuring.
  const warmEnd = performance.now() + 300;
  let nextId = 0;
  await Promise.all(
    cs.map(async (c) => {
      while (performance.now() < warmEnd) await c.step(request(nextId++));
    }),
  );
  const rtts: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    cs.map(async (c) => {
      for (let id = nextId; performance.now() < end; id++) {
        const t = performance.now();
        await c.step(request(id));
        rtts.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / rtts.length;
  for (const c of cs) c.close();
  return { p50: quantile(rtts, 0.5), p90: quantile(rtts, 0.9), rps: rtts.length / elapsed, cpuUs };
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--runs <n>', 'runs per cell (median reported)', intList('--runs'), [3])
    .option('--seconds <s>', 'seconds per run', intList('--seconds'), [1])
    .option('--sizes <list>', 'payload sizes in bytes', intList('--sizes'), [1000, 28000, 100000])
    .option('--clients <list>', 'concurrent clients', intList('--clients'), [1, 8, 32])
    .option('--bare', 'also measure a bare stream (pre-encoded frames, no client bookkeeping)')
    .option('--server', 'internal: run the learner side')
    .parse();
  const o = program.opts<{ runs: number[]; seconds: number[]; sizes: number[]; clients: number[]; server?: boolean; bare?: boolean }>();
  if (o.server) return serve();

  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--server'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const address = `127.0.0.1:${port}`;
  const runs = o.runs[0];
  const seconds = o.seconds[0];
  console.log(
    `gRPC inference stream round trip, loopback, server in a child process; ${runs} run(s) × ${seconds} s per cell; 0.3 s warm-up; median over runs, modes interleaved`,
  );
  console.log('| client | payload | clients | RTT p50 (ms) | RTT p90 (ms) | requests/s | MB/s up | client CPU µs/req |');
  console.log('|--------|--------:|--------:|-------------:|-------------:|-----------:|--------:|------------------:|');
  const modes = o.bare ? (['InferenceClient', 'bare stream'] as const) : (['InferenceClient'] as const);
  for (const size of o.sizes) {
    for (const clients of o.clients) {
      // Interleave the modes run by run (alternating order) so load drift hits both alike.
      const results = new Map<string, CellResult[]>(modes.map((m) => [m, []]));
      for (let r = 0; r < runs; r++) {
        const order = r % 2 === 0 ? [...modes] : [...modes].reverse();
        for (const mode of order) results.get(mode)!.push(await (mode === 'bare stream' ? runBareCell : runCell)(address, size, clients, seconds));
      }
      for (const mode of modes) {
        const rs = results.get(mode)!;
        const med = (f: (x: CellResult) => number) => quantile(rs.map(f), 0.5);
        const rps = med((x) => x.rps);
        console.log(
          `| ${mode} | ${(size / 1000).toFixed(0).padStart(4)} KB | ${String(clients).padStart(7)} | ${med((x) => x.p50)
            .toFixed(3)
            .padStart(12)} | ${med((x) => x.p90)
            .toFixed(3)
            .padStart(12)} | ${rps.toFixed(0).padStart(10)} | ${((rps * size) / 1e6).toFixed(1).padStart(7)} | ${med((x) => x.cpuUs)
            .toFixed(0)
            .padStart(17)} |`,
        );
      }
    }
  }
  child.stdin.end();
}

await main();
