/** Measures this host's loopback TCP: one-way latency (ping-pong / 2) and throughput (4 MB bursts). Medians of 5. */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

const BURST = 4 << 20;

async function pair(onData: (s: Socket, d: Buffer) => void): Promise<{ server: Server; sock: Socket }> {
  const server = createServer((s) => s.on('data', (d: Buffer) => onData(s, d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sock = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', r));
  sock.setNoDelay(true);
  return { server, sock };
}

function roundTrip(sock: Socket, payload: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    sock.once('data', () => resolve((performance.now() - t0) / 1000));
    sock.write(payload);
  });
}

export async function measureLoopback(): Promise<{ bytesPerSec: number; latencySeconds: number }> {
  const echo = await pair((s, d) => s.write(d));
  let got = 0;
  const sink = await pair((s, d) => {
    got += d.length;
    if (got >= BURST) {
      got = 0;
      s.write(Buffer.from([1]));
    }
  });
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const pings: number[] = [];
  const bursts: number[] = [];
  for (let i = 0; i < 5; i++) pings.push(await roundTrip(echo.sock, Buffer.from('ping')));
  const big = Buffer.alloc(BURST, 7);
  for (let i = 0; i < 5; i++) bursts.push(await roundTrip(sink.sock, big));
  for (const p of [echo, sink]) {
    p.sock.destroy();
    p.server.close();
  }
  const latency = med(pings) / 2;
  return { bytesPerSec: BURST / Math.max(1e-6, med(bursts) - 2 * latency), latencySeconds: latency };
}
