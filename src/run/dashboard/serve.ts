import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { Dashboard, isLoopback } from './server.js';

/** Why `dir` is not a run directory, or null if it is one. */
export function notARun(dir: string): string | null {
  if (!existsSync(dir)) return `${dir} does not exist`;
  if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  const have = ['config.json', 'episodes.jsonl', 'train.jsonl'].filter((f) => existsSync(join(dir, f)));
  if (have.length === 0)
    return `${dir} is not a run directory: it has none of config.json, episodes.jsonl, train.jsonl (runs are written under runs/ by coknight train)`;
  return null;
}

export interface ServedDashboard {
  url: string;
  token?: string;
  dashboard: Dashboard;
  close(): Promise<void>;
}

/**
 * `coknight dashboard <run-dir>`: the live page for a run directory on its own HTTP server; it
 * follows the files, so a run still being written shows its progress. Beyond loopback the API asks
 * for a token (given, $COKNIGHT_TOKEN, or a fresh one in the printed URL).
 */
export async function serveRunDashboard(runDir: string, listen = '127.0.0.1:0', token?: string): Promise<ServedDashboard> {
  const dir = resolve(runDir);
  const problem = notARun(dir);
  if (problem) throw new Error(problem);
  const i = listen.lastIndexOf(':');
  const host = i < 0 ? listen : listen.slice(0, i);
  const port = i < 0 ? 0 : Number(listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--listen "${listen}": port must be 0..65535`);
  const tok = isLoopback(host) ? undefined : (token ?? process.env.COKNIGHT_TOKEN ?? randomBytes(16).toString('hex'));
  const dashboard = new Dashboard({ runDir: dir, token: tok });
  const server = createServer((req, res) => {
    if (!dashboard.handle(req, res)) res.writeHead(404).end('see /dashboard/\n');
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  const a = server.address();
  const bound = typeof a === 'object' && a ? a.port : port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostPart}:${bound}/dashboard/${tok ? `?token=${tok}` : ''}`,
    token: tok,
    dashboard,
    close: () =>
      new Promise((ok) => {
        dashboard.close();
        server.close(() => ok());
      }),
  };
}
