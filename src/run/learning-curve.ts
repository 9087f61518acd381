import { join } from 'node:path';
import { lineChart, svgToPng } from '../plot/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { EpisodePoint } from './recorder.js';

/**
 * Mean return over a trailing window of episodes, sampled at about `points` places along the run:
 * the smoothed learning curve people compare runs with.
 */
export function smoothedCurve(episodes: readonly EpisodePoint[], window: number, points = 200): [number, number][] {
  if (episodes.length === 0) return [];
  const out: [number, number][] = [];
  const stride = Math.max(1, Math.floor(episodes.length / points));
  let sum = 0;
  for (let i = 0; i < episodes.length; i++) {
    sum += episodes[i].ret;
    if (i >= window) sum -= episodes[i - window].ret;
    if ((i + 1) % stride === 0 || i === episodes.length - 1) {
      out.push([episodes[i].frames, sum / Math.min(i + 1, window)]);
    }
  }
  return out;
}

/** Writes learning-curve.svg and learning-curve.png into the run directory; returns the SVG path. */
export async function writeLearningCurve(
  runDir: string,
  rec: { episodes: readonly EpisodePoint[]; recent: { size: number } },
  title: string,
): Promise<string | null> {
  if (rec.episodes.length === 0) return null;
  const svg = await lineChart({
    title,
    xLabel: 'frames',
    yLabel: `episode return (mean of last ${rec.recent.size})`,
    series: [{ name: 'training episodes', points: smoothedCurve(rec.episodes, rec.recent.size) }],
  });
  const svgPath = join(runDir, 'learning-curve.svg');
  writeFileAtomic(svgPath, svg);
  writeFileAtomic(join(runDir, 'learning-curve.png'), svgToPng(svg));
  return svgPath;
}
