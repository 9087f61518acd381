// The Coknight dashboard page: one snapshot on connect, then deltas, over server-sent events.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { ActorView, Delta, PlanEvent, Snapshot, Status, TrainRow } from '../../src/run/dashboard/types.js';

const token = new URLSearchParams(location.search).get('token');
const api = (p: string) => `api/${p}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
const $ = <T extends Element>(sel: string) => document.querySelector(sel) as T;

interface Curve {
  frames: number[];
  t: number[];
  ret: number[];
  smooth: number[];
  sum: number;
}

let snap: Snapshot | null = null;
/** The server sent 'end' (it is stopping). */
let ended = false;
let curve: Curve = { frames: [], t: [], ret: [], smooth: [], sum: 0 };
const charts = new Map<string, uPlot>();

function fmt(x: number | undefined, digits = 2): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(digits)} G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(digits)} M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(digits)} k`;
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}
const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(0)}%`);

function chart(id: string, series: uPlot.Series[], xLabel: string): uPlot {
  let c = charts.get(id);
  if (c) return c;
  const el = $<HTMLDivElement>(`#${id}`);
  c = new uPlot(
    {
      width: 440,
      height: 220,
      scales: { x: { time: false } },
      axes: [{ label: xLabel }, {}],
      legend: { live: false },
      series: [{ label: xLabel }, ...series],
    },
    [[], ...series.map(() => [])],
    el,
  );
  charts.set(id, c);
  return c;
}

function addEpisodes(rows: Snapshot['episodes'], window: number): void {
  for (const [f, r, t] of rows) {
    curve.frames.push(f);
    curve.t.push(t);
    curve.ret.push(r);
    curve.sum += r;
    const n = curve.ret.length;
    if (n > window) curve.sum -= curve.ret[n - 1 - window];
    curve.smooth.push(curve.sum / Math.min(n, window));
  }
}

function drawCurves(): void {
  const s = (label: string, stroke: string, points = false): uPlot.Series =>
    points ? { label, stroke, width: 0, points: { show: true, size: 3, stroke, fill: stroke } } : { label, stroke, width: 2, points: { show: false } };
  const win = snap?.run.returnWindow ?? 100;
  const ser = [s('episode return', 'rgba(90,120,200,0.35)', true), s(`mean of last ${win}`, '#c0392b')];
  chart('curve-frames', ser, 'frames').setData([curve.frames, curve.ret, curve.smooth]);
  chart('curve-time', ser, 'seconds').setData([curve.t, curve.ret, curve.smooth]);
  $<HTMLElement>('#curve-frames').dataset.points = String(curve.frames.length);
  const train = snap?.train ?? [];
  const col = (k: keyof TrainRow) => train.map((r) => (r[k] ?? null) as number | null);
  const t = train.map((r) => r.t);
  chart('fps', [s('frames/s', '#2e86c1')], 'seconds').setData([t, col('fps')] as uPlot.AlignedData);
  chart('busy', [s('inference', '#8e44ad'), s('training', '#27ae60')], 'seconds').setData([t, col('inferenceBusy'), col('trainingBusy')] as uPlot.AlignedData);
  chart('lag', [s('policy lag', '#d35400')], 'seconds').setData([t, col('policyLag')] as uPlot.AlignedData);
}

function drawStatus(st: Status): void {
  const run = snap!.run;
  const cards: [string, string][] = [
    ['frames', `${fmt(st.frames)}${run.targetFrames ? ` / ${fmt(run.targetFrames)}` : ''}`],
    ['frames/s', fmt(st.fps, 1)],
    ['inference busy', pct(st.inferenceBusy)],
    ['training busy', pct(st.trainingBusy)],
    ['policy lag', fmt(st.policyLag)],
    ['episodes', String(curve.ret.length)],
    ['mean return', fmt(curve.smooth.at(-1))],
  ];
  if (st.connected !== undefined) cards.push(['actors connected', String(st.connected)]);
  if (st.planner) cards.push(['planner', st.planner]);
  for (const [k, b] of Object.entries(st.budgets ?? {})) if (b.budget < 1e17) cards.push([`${k} budget`, `${pct(b.used / b.budget)} of ${fmt(b.budget)}`]);
  $<HTMLElement>('#status').innerHTML = cards.map(([k, v]) => `<div class="card"><b>${esc(v)}</b><span>${esc(k)}</span></div>`).join('');
  $<HTMLElement>('#run').textContent = [run.env, run.mode && `${run.mode} mode`, run.seed !== undefined && `seed ${run.seed}`, run.dir]
    .filter(Boolean)
    .join(' · ');
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function device(a: ActorView): string {
  return a.flops ? `${fmt(a.flops / 1e9)} GFLOP/s` : '–';
}

function drawActors(actors: ActorView[]): void {
  const K = snap?.run.K;
  $<HTMLElement>('#actors tbody').innerHTML = actors
    .map(
      (a) =>
        `<tr data-actor="${esc(a.id)}" class="${a.connected || !snap?.run.live ? '' : 'gone'}"><td>${esc(a.id)}</td><td>${a.connected ? 'connected' : snap?.run.live ? 'gone' : 'finished'}</td>` +
        `<td>${device(a)}</td><td class="split">${a.splitPoint}${K !== undefined ? ` / ${K}` : ''}</td><td>${esc(a.codec ?? '–')}</td>` +
        `<td>${fmt(a.upPerSec, 1)}</td><td>${fmt(a.downPerSec, 1)}</td><td>${a.linkCap ? fmt(a.linkCap, 1) : 'none'}</td>` +
        `<td>${fmt(a.stepsServed)}</td><td>${fmt(a.stepsLocal)}</td><td>${a.restarts}</td></tr>`,
    )
    .join('');
  drawPicture(actors, K);
}

/** Each actor: its layers (on the device up to the split point, then on the learner) and its link against the cap. */
function drawPicture(actors: ActorView[], K: number | undefined): void {
  const svg = $<SVGSVGElement>('#actor-picture');
  const rowH = 30;
  const W = 900;
  const H = Math.max(1, actors.length) * rowH + 30;
  svg.setAttribute('width', String(W));
  svg.setAttribute('height', String(H));
  const layers = K ?? Math.max(1, ...actors.map((a) => a.splitPoint));
  const maxRate = Math.max(1, ...actors.flatMap((a) => [a.upPerSec ?? 0, a.downPerSec ?? 0]));
  const parts: string[] = [
    `<text x="10" y="16" font-size="11" fill="#555">actor</text>`,
    `<text x="150" y="16" font-size="11" fill="#555">layers 1..${layers}: on the device (blue) · on the learner (grey)</text>`,
    `<text x="520" y="16" font-size="11" fill="#555">up / down (of cap, or of the busiest link)</text>`,
    `<rect x="${W - 90}" y="22" width="80" height="${H - 28}" rx="6" fill="#eef" stroke="#99a"/>`,
    `<text x="${W - 50}" y="${22 + (H - 28) / 2}" font-size="12" text-anchor="middle" fill="#335">learner</text>`,
  ];
  actors.forEach((a, i) => {
    const y = 24 + i * rowH;
    const op = a.connected || !snap?.run.live ? 1 : 0.4;
    parts.push(`<g opacity="${op}" data-actor="${esc(a.id)}"><text x="10" y="${y + 15}" font-size="12">${esc(a.id)} · ${device(a)}</text>`);
    const cw = Math.min(40, 340 / layers);
    for (let k = 1; k <= layers; k++) {
      const fill = k <= a.splitPoint ? '#5b8bd0' : '#c8c8c8';
      parts.push(`<rect x="${150 + (k - 1) * cw}" y="${y + 3}" width="${cw - 2}" height="18" fill="${fill}"/>`);
    }
    parts.push(`<text x="${150 + layers * cw + 4}" y="${y + 16}" font-size="11">y=${a.splitPoint}</text>`);
    const cap = a.linkCap ?? maxRate;
    const bar = (v: number | undefined, yy: number, color: string) => {
      const frac = Math.min(1, (v ?? 0) / cap);
      // Red only against a real cap: a saturated link.
      const full = a.linkCap !== undefined && frac > 0.9;
      parts.push(
        `<rect x="520" y="${yy}" width="240" height="8" fill="#eee"/><rect x="520" y="${yy}" width="${240 * frac}" height="8" fill="${full ? '#c0392b' : color}"/>`,
      );
    };
    bar(a.upPerSec, y + 3, '#27ae60');
    bar(a.downPerSec, y + 13, '#8e44ad');
    parts.push(`<text x="766" y="${y + 16}" font-size="10">${fmt(a.upPerSec, 0)} / ${fmt(a.downPerSec, 0)} B/s</text></g>`);
  });
  svg.innerHTML = parts.join('');
}

function describe(e: PlanEvent): string {
  const moves = e.moves.map((m) => `${m.actor} ${m.from ?? '–'}→${m.to}`).join(', ');
  const y = e.splitPoint !== undefined ? ` at y=${e.splitPoint}` : '';
  return `${e.t.toFixed(1)} s: ${e.event} ${e.actor}${y}${moves ? ` (moves: ${moves})` : ''}`;
}

function drawEvents(events: PlanEvent[], reset: boolean): void {
  const ol = $<HTMLOListElement>('#events');
  if (reset) ol.innerHTML = '';
  for (const e of events) {
    const li = document.createElement('li');
    li.textContent = describe(e);
    ol.appendChild(li);
  }
}

function onSnapshot(s: Snapshot): void {
  snap = s;
  ended = false;
  curve = { frames: [], t: [], ret: [], smooth: [], sum: 0 };
  addEpisodes(s.episodes, s.run.returnWindow);
  drawCurves();
  drawStatus(s.status);
  drawActors(s.actors);
  drawEvents(s.events, true);
  setConn();
}

function onDelta(d: Delta): void {
  if (!snap) return;
  snap.train.push(...d.train);
  snap.events.push(...d.events);
  snap.status = d.status;
  addEpisodes(d.episodes, snap.run.returnWindow);
  if (d.episodes.length || d.train.length) drawCurves();
  drawStatus(d.status);
  drawActors(d.actors);
  drawEvents(d.events, false);
  setConn();
}

function setConn(lost = false): void {
  const el = $<HTMLElement>('#conn');
  if (lost && ended) {
    // The server said it was stopping; the page keeps trying in case it comes back.
    el.className = snap?.status.done ? 'conn finished' : 'conn lost';
    el.textContent = snap?.status.done ? 'run finished (server stopped)' : 'server stopped: reconnecting…';
  } else if (lost) {
    el.className = 'conn lost';
    el.textContent = 'disconnected: reconnecting…';
  } else if (snap && (!snap.run.live || snap.status.done)) {
    el.className = 'conn finished';
    el.textContent = snap.run.live ? 'run finished' : 'finished run';
  } else {
    el.className = 'conn live';
    el.textContent = 'live';
  }
}

function connect(): void {
  const es = new EventSource(api('events'));
  es.addEventListener('snapshot', (m) => onSnapshot(JSON.parse((m as MessageEvent<string>).data) as Snapshot));
  es.addEventListener('delta', (m) => onDelta(JSON.parse((m as MessageEvent<string>).data) as Delta));
  es.addEventListener('end', () => (ended = true));
  es.onerror = () => {
    setConn(true);
    // The browser retries by itself while the stream is only interrupted; once it gives up, start again.
    if (es.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  };
}

connect();
