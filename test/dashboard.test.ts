/**
 * The dashboard's HTTP side without a browser: the page and its API on a run directory, live deltas
 * while the directory is written to, a rewritten log (resume), the token beyond loopback, and the
 * learner's /metrics server routing other paths to it.
 */
import { get, type IncomingMessage } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LearnerMetrics } from '../src/metrics/learner-metrics.js';
import { Dashboard } from '../src/run/dashboard/server.js';
import { notARun, serveRunDashboard, type ServedDashboard } from '../src/run/dashboard/serve.js';
import type { Delta, Snapshot } from '../src/run/dashboard/types.js';
import { appendEpisode, fakeRun } from './helpers/fake-run.js';

const root = mkdtempSync(join(tmpdir(), 'ck-dash-'));
const opened: ServedDashboard[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
});

function fetchText(url: string): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((ok, fail) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    }).on('error', fail);
  });
}

/** Reads server-sent events until `until` says stop. */
function events(url: string, until: (name: string, data: unknown) => boolean): Promise<[string, unknown][]> {
  return new Promise((ok, fail) => {
    const seen: [string, unknown][] = [];
    const req = get(url, (res: IncomingMessage) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!name || data === undefined) continue;
          seen.push([name, JSON.parse(data)]);
          if (until(name, seen.at(-1)![1])) {
            req.destroy();
            ok(seen);
            return;
          }
        }
      });
    });
    req.on('error', (e) => (seen.length ? ok(seen) : fail(e)));
  });
}

describe('dashboard server', () => {
  it('serves the prebuilt page and a snapshot of a finished run', async () => {
    const dir = fakeRun(join(root, 'finished'), { mode: 'coknight' });
    const s = await serveRunDashboard(dir);
    opened.push(s);
    const page = await fetchText(s.url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Coknight dashboard</title>');
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)![1];
    expect((await fetchText(new URL(script, s.url).href)).type).toContain('javascript');
    const snap = JSON.parse((await fetchText(new URL('api/state', s.url).href)).body) as Snapshot;
    expect(snap.run).toMatchObject({ env: 'minatar/breakout', mode: 'coknight', live: false, K: 3 });
    expect(snap.episodes).toHaveLength(50);
    expect(snap.episodes[1][2]).toBeCloseTo(0.1);
    expect(snap.actors.map((a) => [a.id, a.splitPoint, a.restarts])).toEqual([
      ['a0', 0, 0],
      ['a1', 1, 1],
    ]);
    // The plan history: a1's join moved a0 from 1 to 0.
    expect(snap.events[1]).toMatchObject({ event: 'join', actor: 'a1', splitPoint: 2, moves: [{ actor: 'a0', from: 1, to: 0 }] });
    expect(snap.status).toMatchObject({ done: true, frames: 1000, inferenceBusy: 0.3 });
    expect((await fetchText(new URL('../nope/../../etc/passwd', s.url).href)).status).toBe(404);
  });

  it('follows a run directory being written to, and starts over when a log is rewritten', async () => {
    const dir = fakeRun(join(root, 'growing'), { finished: false, episodes: 3 });
    const dash = new Dashboard({ runDir: dir, intervalMs: 50 });
    const metrics = new LearnerMetrics();
    metrics.addRoute('/dashboard', (req, res) => void dash.handle(req, res));
    const addr = await metrics.listen('127.0.0.1:0');
    try {
      let appended = false;
      const seen = await events(`http://${addr}/dashboard/api/events`, (name, data) => {
        if (name === 'snapshot' && !appended) {
          appended = true;
          appendEpisode(dir, 100, 7);
          return false;
        }
        return name === 'delta' && (data as Delta).episodes.length > 0;
      });
      expect(seen[0][0]).toBe('snapshot');
      expect((seen[0][1] as Snapshot).episodes).toHaveLength(3);
      expect((seen.at(-1)![1] as Delta).episodes[0].slice(0, 2)).toEqual([100, 7]);
      // Resume rewrites episodes.jsonl shorter: the page gets a fresh snapshot.
      const again = await events(`http://${addr}/dashboard/api/events`, (name, data) => {
        if (name === 'snapshot' && (data as Snapshot).episodes.length === 4) {
          writeFileSync(join(dir, 'episodes.jsonl'), `${JSON.stringify({ frames: 20, return: 1 })}\n`);
          return false;
        }
        return name === 'snapshot' && (data as Snapshot).episodes.length === 1;
      });
      expect(again.map((e) => e[0])).toContain('snapshot');
      expect((await fetchText(`http://${addr}/metrics`)).body).toContain('coknight_frames_total');
      expect((await fetchText(`http://${addr}/`)).status).toBe(302);
    } finally {
      dash.close();
      await metrics.close();
    }
  });

  it('asks for the token when bound beyond loopback', async () => {
    const dir = fakeRun(join(root, 'token'));
    const dash = new Dashboard({ runDir: dir, token: 's3cret' });
    const metrics = new LearnerMetrics();
    metrics.addRoute('/dashboard', (req, res) => void dash.handle(req, res));
    const addr = await metrics.listen('127.0.0.1:0');
    try {
      const denied = await fetchText(`http://${addr}/dashboard/api/state`);
      expect(denied.status).toBe(401);
      expect(denied.body).toContain('token');
      expect((await fetchText(`http://${addr}/dashboard/api/state?token=wrong`)).status).toBe(401);
      expect((await fetchText(`http://${addr}/dashboard/api/state?token=s3cret`)).status).toBe(200);
      // The page itself holds no run data and loads without the token.
      expect((await fetchText(`http://${addr}/dashboard/`)).status).toBe(200);
    } finally {
      dash.close();
      await metrics.close();
    }
  });

  it('explains what is not a run directory', async () => {
    expect(notARun(join(root, 'missing'))).toMatch(/does not exist/);
    expect(notARun(root)).toMatch(/is not a run directory/);
    await expect(serveRunDashboard(root)).rejects.toThrow(/is not a run directory/);
  });
});
