/**
 * The command line every study shares: `--quick` (the default: minutes, small) or `--full`, plus
 * `--out` to write somewhere other than experiments/results/ (tests use a temp dir).
 */
import { Command } from 'commander';
import { RESULTS_DIR } from './results.js';

export type Profile = 'quick' | 'full';

export interface StudyArgs {
  readonly profile: Profile;
  readonly out: string;
  /** The command as typed, for the results' provenance. */
  readonly command: string;
  /** A study's own numeric options (`--host-flops 4e9` → { hostFlops: 4e9 }), when given. */
  readonly numbers: Readonly<Record<string, number>>;
  /** A directory kept between invocations (`--resume <dir>`), for studies whose runs take hours. */
  readonly resume: string | undefined;
  /** `--collect` (with --resume): write the study from the kept runs, run nothing. */
  readonly collect: boolean;
}

export function studyArgs(study: string, argv = process.argv, numeric: readonly { flag: string; description: string }[] = []): StudyArgs {
  const cmd = new Command(study)
    .option('--quick', 'small and short (minutes): the default')
    .option('--full', "the paper's sizes (long: hours on a small machine)")
    .option('--out <dir>', 'results root (default experiments/results)', RESULTS_DIR)
    .option('--resume <dir>', 'keep each finished run here and skip it when the study is started again')
    .option('--collect', 'with --resume: write the results from the runs kept there, run nothing');
  for (const n of numeric)
    cmd.option(`--${n.flag} <n>`, n.description, (v: string) => {
      const x = Number(v);
      if (!Number.isFinite(x) || x <= 0) throw new Error(`${study}: --${n.flag} must be a positive number, got "${v}"`);
      return x;
    });
  const o = cmd.parse(argv).opts<{ quick?: boolean; full?: boolean; out: string; resume?: string; collect?: boolean } & Record<string, unknown>>();
  if (o.collect && !o.resume) throw new Error(`${study}: --collect needs --resume <dir> (the runs to collect)`);
  if (o.quick && o.full) throw new Error(`${study}: give --quick or --full, not both`);
  const profile: Profile = o.full ? 'full' : 'quick';
  const numbers: Record<string, number> = {};
  const extra: string[] = [];
  for (const n of numeric) {
    const key = n.flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (typeof o[key] === 'number') {
      numbers[key] = o[key];
      extra.push(`--${n.flag} ${o[key]}`);
    }
  }
  return {
    profile,
    out: o.out,
    command: [`npx tsx experiments/${study}.ts --${profile}`, ...extra].join(' '),
    numbers,
    resume: o.resume,
    collect: o.collect === true,
  };
}
