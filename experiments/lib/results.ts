/**
 * Where a study's outputs go: `experiments/results/<study>/<profile>/` (quick or full, so a full run
 * does not replace the committed quick one) gets `<study>.json` and one SVG + PNG per figure, and
 * `experiments/results/README.md` one line per figure between its markers (other studies' lines are
 * kept, so studies written on other branches merge as added lines).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svgToPng } from '../../src/plot/png.js';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
export const BEGIN = '<!-- figures:begin (one line per figure, written by experiments/lib/results.ts) -->';
export const END = '<!-- figures:end -->';

export interface Figure {
  /** File name without extension, e.g. "return-vs-frames". */
  readonly name: string;
  readonly svg: string;
  /** One sentence: what the figure shows (goes into the results README). */
  readonly caption: string;
}

export interface StudyOutput {
  readonly study: string;
  /** 'quick' or 'full': which profile produced the numbers. */
  readonly profile: string;
  /** The exact command that produced it. */
  readonly command: string;
  readonly data: unknown;
  readonly figures: readonly Figure[];
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The README line of one figure. */
export function figureLine(study: string, profile: string, f: Figure): string {
  const path = `${study}/${profile}/${f.name}.png`;
  return `- [\`${path}\`](${path}): ${f.caption.replace(/\s+/g, ' ').trim()}`;
}

/**
 * Replaces the lines of `key` ("<study>/<profile>") between the markers with `lines` (appending the
 * markers if missing) and keeps every other line; lines stay sorted by key so that the order is stable.
 */
export function upsertFigureLines(readme: string, key: string, lines: readonly string[]): string {
  let text = readme;
  if (!text.includes(BEGIN) || !text.includes(END)) text = `${text.trimEnd()}\n\n${BEGIN}\n${END}\n`;
  const start = text.indexOf(BEGIN) + BEGIN.length;
  const end = text.indexOf(END);
  const studyOf = (l: string): string => /^- \[`([^/`]+\/[^/`]+)\//.exec(l)?.[1] ?? '';
  const kept = text
    .slice(start, end)
    .split('\n')
    .filter((l) => l.trim() && studyOf(l) !== key);
  const all = [...kept, ...lines].map((l, i) => ({ l, i }));
  all.sort((a, b) => studyOf(a.l).localeCompare(studyOf(b.l)) || a.i - b.i);
  return `${text.slice(0, start)}\n${all.map((x) => x.l).join('\n')}\n${text.slice(end)}`;
}

/** Writes JSON, SVGs, PNGs and the README lines of one study; returns the files written. */
export function writeStudy(out: StudyOutput, root = RESULTS_DIR): string[] {
  if (!NAME.test(out.study)) throw new RangeError(`study name "${out.study}" must be lower-case letters, digits and "-"`);
  for (const f of out.figures)
    if (!NAME.test(f.name)) throw new RangeError(`figure name "${f.name}" of ${out.study} must be lower-case letters, digits and "-"`);
  const dir = join(root, out.study, out.profile);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const json = join(dir, `${out.study}.json`);
  const meta = { study: out.study, profile: out.profile, command: out.command, written: new Date().toISOString(), machine: machineNote() };
  writeFileSync(json, `${JSON.stringify({ ...meta, data: out.data }, null, 1)}\n`);
  files.push(json);
  for (const f of out.figures) {
    writeFileSync(join(dir, `${f.name}.svg`), f.svg);
    writeFileSync(join(dir, `${f.name}.png`), svgToPng(f.svg, { width: 900 }));
    files.push(join(dir, `${f.name}.svg`), join(dir, `${f.name}.png`));
  }
  const readme = join(root, 'README.md');
  const before = existsSync(readme) ? readFileSync(readme, 'utf8') : '# Experiment results\n';
  writeFileSync(
    readme,
    upsertFigureLines(
      before,
      `${out.study}/${out.profile}`,
      out.figures.map((f) => figureLine(out.study, out.profile, f)),
    ),
  );
  files.push(readme);
  return files;
}

/** Where the numbers came from (the machine is shared; throughput is only comparable within a run). */
export function machineNote(): string {
  const load = loadavg()[0].toFixed(1);
  return `shared machine: ${process.platform}, ${cpus().length} CPUs (load average ${load} when written, other engineers' jobs included), Node ${process.version}`;
}
