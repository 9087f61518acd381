/**
 * The two chart kinds the studies need beyond src/plot (lines, bars, bands): a scatter against the
 * y = x line (cost-model validation) and a labelled grid of winners (where-split-wins). SVG strings,
 * rendered headless by Vega-Lite → Vega as src/plot does.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const CONFIG = {
  font: 'DejaVu Sans, Arial, Helvetica, sans-serif',
  background: 'white',
  view: { stroke: '#888' },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400 },
  title: { fontSize: 14 },
};

async function render(spec: object): Promise<string> {
  const view = new vega.View(
    vega.parse(compile({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, ...spec } as TopLevelSpec).spec),
    {
      renderer: 'none',
    },
  );
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface ScatterPoint {
  readonly x: number;
  readonly y: number;
  readonly group: string;
  readonly label?: string;
}

/** Predicted (x) against measured (y), coloured by group, with the y = x line; log axes. */
export async function scatterWithDiagonal(spec: { title: string; xLabel: string; yLabel: string; points: readonly ScatterPoint[] }): Promise<string> {
  if (spec.points.length === 0) throw new RangeError(`scatter "${spec.title}": points must not be empty`);
  for (const p of spec.points)
    if (!(p.x > 0 && p.y > 0)) throw new RangeError(`scatter "${spec.title}": point ${p.label ?? ''} must be > 0 on log axes, got (${p.x}, ${p.y})`);
  const all = spec.points.flatMap((p) => [p.x, p.y]);
  const lo = Math.min(...all) / 1.5;
  const hi = Math.max(...all) * 1.5;
  const scale = { type: 'log', domain: [lo, hi] };
  return render({
    title: spec.title,
    width: 420,
    height: 420,
    layer: [
      {
        data: {
          values: [
            { x: lo, y: lo },
            { x: hi, y: hi },
          ],
        },
        mark: { type: 'line', color: '#999', strokeDash: [4, 4] },
        encoding: { x: { field: 'x', type: 'quantitative', scale, title: spec.xLabel }, y: { field: 'y', type: 'quantitative', scale, title: spec.yLabel } },
      },
      {
        data: { values: spec.points.map((p) => ({ ...p, label: p.label ?? '' })) },
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale },
          y: { field: 'y', type: 'quantitative', scale },
          color: { field: 'group', type: 'nominal', title: null },
          shape: { field: 'group', type: 'nominal', title: null },
        },
      },
      {
        data: { values: spec.points.map((p) => ({ ...p, label: p.label ?? '' })) },
        mark: { type: 'text', dx: 12, align: 'left', fontSize: 9 },
        encoding: { x: { field: 'x', type: 'quantitative', scale }, y: { field: 'y', type: 'quantitative', scale }, text: { field: 'label' } },
      },
    ],
  });
}

export interface GridCell {
  readonly col: string;
  readonly row: string;
  /** Colour category (e.g. the winning mode). */
  readonly value: string;
  /** Text in the cell (e.g. DEFP's plan). */
  readonly text: string;
}

/** A grid of categorical cells with a text label each (columns and rows in the given orders). */
export async function labelledGrid(spec: {
  title: string;
  colLabel: string;
  rowLabel: string;
  cols: readonly string[];
  rows: readonly string[];
  values: readonly string[];
  cells: readonly GridCell[];
}): Promise<string> {
  if (spec.cells.length === 0) throw new RangeError(`grid "${spec.title}": cells must not be empty`);
  const x = { field: 'col', type: 'ordinal', sort: spec.cols, title: spec.colLabel, axis: { labelAngle: 0 } };
  const y = { field: 'row', type: 'ordinal', sort: spec.rows, title: spec.rowLabel, axis: { labelLimit: 400 } };
  return render({
    title: spec.title,
    width: Math.max(300, 70 * spec.cols.length),
    height: Math.max(120, 34 * spec.rows.length),
    data: { values: spec.cells },
    layer: [
      { mark: { type: 'rect', stroke: 'white' }, encoding: { x, y, color: { field: 'value', type: 'nominal', title: 'winner', sort: spec.values } } },
      { mark: { type: 'text', fontSize: 9 }, encoding: { x, y, text: { field: 'text' } } },
    ],
  });
}

/** One line per mode (in `modes` order, empty ones dropped): rows of that mode as (x, y) sorted by x. */
export function seriesByMode<R extends { mode: string }>(
  rows: readonly R[],
  modes: readonly string[],
  x: (r: R) => number,
  y: (r: R) => number,
): { name: string; points: [number, number][] }[] {
  return modes
    .map((m) => ({
      name: m,
      points: rows
        .filter((r) => r.mode === m)
        .map((r): [number, number] => [x(r), y(r)])
        .sort((a, b) => a[0] - b[0]),
    }))
    .filter((s) => s.points.length > 0);
}
