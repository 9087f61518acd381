import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One line with a shaded band around it (mean ± stderr over seeds). */
export interface BandSeries {
  name: string;
  /** [x, mean, low, high]. */
  points: readonly (readonly [number, number, number, number])[];
}

export interface BandChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly BandSeries[];
  width?: number;
  height?: number;
}

/** Learning curves of several groups of runs, each a mean line over a band, as an SVG string. */
export async function bandChart(spec: BandChartSpec): Promise<string> {
  if (spec.series.length === 0) throw new RangeError(`bandChart "${spec.title}": series must not be empty`);
  const rows = spec.series.flatMap((s) =>
    s.points.filter((p) => p.every(Number.isFinite)).map(([x, y, lo, hi], order) => ({ series: s.name, x, y, lo, hi, order })),
  );
  const names = spec.series.map((s) => s.name);
  const color = { field: 'series', type: 'nominal', title: null, sort: names };
  const vl = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: spec.title,
    width: spec.width ?? 560,
    height: spec.height ?? 320,
    config: {
      font: 'DejaVu Sans, Arial, Helvetica, sans-serif',
      background: 'white',
      view: { stroke: '#888' },
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true },
      legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400, orient: 'bottom' },
      title: { fontSize: 14 },
    },
    data: { values: rows },
    encoding: { x: { field: 'x', type: 'quantitative', title: spec.xLabel, scale: { zero: false } }, color },
    layer: [
      { mark: { type: 'area', opacity: 0.2 }, encoding: { y: { field: 'lo', type: 'quantitative', title: spec.yLabel }, y2: { field: 'hi' } } },
      { mark: { type: 'line', strokeWidth: 2 }, encoding: { y: { field: 'y', type: 'quantitative' }, strokeDash: { ...color }, order: { field: 'order' } } },
    ],
  } as unknown as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(vl).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
