import cliProgress from 'cli-progress';

export interface TaskProgressOptions {
  /** auto: a bar on a TTY, plain lines otherwise. */
  kind?: 'auto' | 'bar' | 'lines' | 'none';
  /** What the count counts (episodes, points, layers). */
  unit?: string;
  /** Plain lines at most this often (and always at the end). */
  lineEverySeconds?: number;
  /** Where lines go (stderr by default). */
  write?: (line: string) => void;
}

/**
 * Progress of a long command with a known amount of work (eval, profile, simulate): a bar with an
 * ETA on a TTY, a plain line every few seconds otherwise (CI logs, pipes), or nothing.
 */
export class TaskProgress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly kind: 'bar' | 'lines' | 'none';
  private readonly unit: string;
  private readonly every: number;
  private readonly write: (line: string) => void;
  private readonly startedAt = performance.now();
  private lastLine = -Infinity;
  private done = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    o: TaskProgressOptions = {},
  ) {
    const kind = o.kind ?? 'auto';
    this.kind = kind === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : kind;
    this.unit = o.unit ?? '';
    this.every = o.lineEverySeconds ?? 5;
    this.write = o.write ?? ((l) => process.stderr.write(`${l}\n`));
    if (this.kind === 'bar') {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${label} {bar} {percentage}% | {value}/{total} ${this.unit} | ETA {eta_formatted} {note}`,
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { note: '' });
    }
  }

  /** `n` more units done; `note` says what was just done. */
  tick(n = 1, note = ''): void {
    this.done = Math.min(this.total, this.done + n);
    if (this.bar) {
      this.bar.update(this.done, { note });
      return;
    }
    if (this.kind !== 'lines') return;
    const now = performance.now();
    if (this.done < this.total && now - this.lastLine < this.every * 1000) return;
    this.lastLine = now;
    this.write(this.line(now, note));
  }

  private line(now: number, note: string): string {
    const elapsed = (now - this.startedAt) / 1000;
    const pct = this.total > 0 ? (100 * this.done) / this.total : 100;
    const eta = this.done > 0 && this.done < this.total ? ` | ETA ${formatSeconds((elapsed * (this.total - this.done)) / this.done)}` : '';
    return `[${this.label}] ${this.done}/${this.total}${this.unit ? ` ${this.unit}` : ''} (${pct.toFixed(0)}%) | ${formatSeconds(elapsed)} elapsed${eta}${note ? ` | ${note}` : ''}`;
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
