import cliProgress from 'cli-progress';

export interface ProgressFields {
  frames: number;
  fps: number;
  meanReturn: number;
  episodes: number;
  extra?: string;
}

/**
 * The terminal progress display: a bar on a TTY, a plain line every few seconds otherwise (CI logs,
 * pipes), or nothing.
 */
export class ProgressDisplay {
  private bar: cliProgress.SingleBar | null = null;
  private lastLine = 0;

  constructor(
    private readonly total: number,
    kind: 'auto' | 'bar' | 'lines' | 'none',
    private readonly lineEverySeconds = 10,
  ) {
    this.kind = kind === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : kind;
    if (this.kind === 'bar') {
      this.bar = new cliProgress.SingleBar(
        {
          format: '{bar} {percentage}% | {value}/{total} frames | {fps} fps | return {ret} ({episodes} eps) | ETA {eta_formatted} {extra}',
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { fps: '-', ret: '-', episodes: 0, extra: '' });
    }
  }

  private readonly kind: 'bar' | 'lines' | 'none';

  update(f: ProgressFields): void {
    const ret = Number.isFinite(f.meanReturn) ? f.meanReturn.toFixed(2) : '-';
    if (this.bar) {
      this.bar.update(Math.min(f.frames, this.total), { fps: Math.round(f.fps), ret, episodes: f.episodes, extra: f.extra ?? '' });
    } else if (this.kind === 'lines') {
      const now = performance.now();
      if (now - this.lastLine < this.lineEverySeconds * 1000) return;
      this.lastLine = now;
      const pct = ((100 * f.frames) / this.total).toFixed(1);
      console.error(
        `[train] ${f.frames}/${this.total} frames (${pct}%) | ${Math.round(f.fps)} fps | mean return ${ret} over last ${f.episodes > 100 ? 100 : f.episodes} eps ${f.extra ?? ''}`,
      );
    }
  }

  /** A message above the bar (which redraws on the next update), or a plain line without one. */
  log(message: string): void {
    if (this.bar) process.stderr.write(`\r\x1b[K${message}\n`);
    else console.error(message);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
