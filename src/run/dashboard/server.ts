/**
 * The dashboard's HTTP side: the prebuilt page (web/build, committed, so no front-end build at run
 * time), /dashboard/api/state (one JSON snapshot) and /dashboard/api/events (server-sent events: a
 * snapshot on connect, then a delta every second). A browser that loses the stream (learner
 * restarted) reconnects and gets a fresh snapshot. When the server is bound beyond loopback the API
 * asks for the run's token (?token= or Authorization: Bearer).
 */
import { timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunTail } from './run-tail.js';
import type { Delta, LiveSource, Snapshot } from './types.js';

export const DASHBOARD_PREFIX = '/dashboard';

/** Where the built page lives: <package>/web/build (same depth from src/ and dist/). */
export const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web', 'build');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
};

export interface DashboardOptions {
  runDir: string;
  live?: LiveSource;
  /** Required of API requests when set (a server bound beyond loopback). */
  token?: string;
  /** How often to read the run directory and push deltas (ms). */
  intervalMs?: number;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || h.startsWith('127.');
}

export class Dashboard {
  private readonly tail: RunTail;
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: DashboardOptions) {
    this.tail = new RunTail(opts.runDir);
    this.tail.poll();
  }

  /** Everything so far (the run directory is read up to now first). */
  snapshot(): Snapshot {
    if (this.tail.poll().reset) this.tail.poll();
    return {
      run: this.tail.info(this.opts.live !== undefined, this.opts.live?.K),
      episodes: this.tail.episodes,
      train: this.tail.train,
      events: this.tail.events,
      actors: this.actors(),
      status: this.status(),
    };
  }

  private actors() {
    return this.opts.live ? this.opts.live.actors() : this.tail.actorsFromFiles();
  }

  private status() {
    return this.opts.live ? this.opts.live.status() : this.tail.statusFromFiles();
  }

  /** Handles a request under /dashboard; false if the path is not the dashboard's. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (path === '/' || path === DASHBOARD_PREFIX) {
      res.writeHead(302, { Location: `${DASHBOARD_PREFIX}/${url.search}` }).end();
      return true;
    }
    if (!path.startsWith(`${DASHBOARD_PREFIX}/`)) return false;
    const rest = path.slice(DASHBOARD_PREFIX.length + 1);
    if (rest.startsWith('api/')) {
      if (!this.authorized(req, url)) {
        res.writeHead(401, { 'Content-Type': 'text/plain' }).end('this dashboard needs the run token: open /dashboard/?token=<token>\n');
        return true;
      }
      if (rest === 'api/state') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(this.snapshot()));
      } else if (rest === 'api/events') this.subscribe(req, res);
      else res.writeHead(404).end('unknown API path\n');
      return true;
    }
    this.serveFile(rest || 'index.html', res);
    return true;
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    if (!this.opts.token) return true;
    const auth = req.headers.authorization;
    const given = url.searchParams.get('token') ?? (auth?.startsWith('Bearer ') ? auth.slice(7) : '');
    const a = Buffer.from(given);
    const b = Buffer.from(this.opts.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private serveFile(rel: string, res: ServerResponse): void {
    const file = normalize(join(WEB_ROOT, rel));
    if (!file.startsWith(WEB_ROOT + sep) || !existsSync(file) || !statSync(file).isFile()) {
      const hint = existsSync(join(WEB_ROOT, 'index.html')) ? '' : ' (the page is not built: npm run build:web)';
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found${hint}\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  }

  private subscribe(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(`retry: 1000\nevent: snapshot\ndata: ${JSON.stringify(this.snapshot())}\n\n`);
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
    this.timer ??= setInterval(() => this.tick(), this.opts.intervalMs ?? 1000);
  }

  private tick(): void {
    if (this.clients.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    let message: string;
    try {
      const d = this.tail.poll();
      // A reset (log rewritten on resume) has re-read the files: the page starts over.
      if (d.reset) message = `event: snapshot\ndata: ${JSON.stringify(this.snapshot())}\n\n`;
      else {
        const delta: Delta = { episodes: d.episodes, train: d.train, events: d.events, actors: this.actors(), status: this.status() };
        message = `event: delta\ndata: ${JSON.stringify(delta)}\n\n`;
      }
    } catch (e) {
      message = `event: problem\ndata: ${JSON.stringify(String((e as Error).message))}\n\n`;
    }
    for (const c of this.clients) c.write(message);
  }

  /** Ends every event stream (the HTTP server can then close). */
  close(): void {
    // A last delta (the final counters), then 'end': the page says the learner stopped, and keeps
    // trying to reconnect in case it comes back (a restart on the same port).
    if (this.clients.size > 0 && !this.closed) this.tick();
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const c of this.clients) c.end('event: end\ndata: {}\n\n');
    this.clients.clear();
  }
}
