import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { barChart, lineChart, svgToPng } from '../src/plot/index.js';

describe('plot', () => {
  it('lineChart draws every series with its name and the axis labels', async () => {
    const svg = await lineChart({
      title: 'Latency reduction',
      xLabel: 'number of actors',
      yLabel: 'reduction (ms)',
      logX: true,
      series: [
        {
          name: 'DEFP',
          points: [
            [1, 1],
            [10, 9],
            [100, 80],
          ],
        },
        {
          name: 'MILP',
          points: [
            [1, 1],
            [10, 10],
            [100, 85],
          ],
        },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['Latency reduction', 'number of actors', 'reduction (ms)', 'DEFP', 'MILP']) expect(svg).toContain(text);
    // one line mark per series
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(2);
  });

  it('rejects empty and non-finite input', async () => {
    await expect(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [] })).rejects.toThrow(/series must not be empty/);
    await expect(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[0, NaN]] }] })).rejects.toThrow(/series "s" point 0 y/);
  });

  it('barChart groups bars and labels them', async () => {
    const svg = await barChart({
      title: 'Solve time',
      xLabel: 'actors',
      yLabel: 'ms',
      bars: [
        { label: '10', value: 1, group: 'defp' },
        { label: '10', value: 4, group: 'milp' },
        { label: '100', value: 3, group: 'defp' },
        { label: '100', value: 40, group: 'milp' },
      ],
    });
    for (const text of ['Solve time', 'actors', 'defp', 'milp']) expect(svg).toContain(text);
    expect(svg.match(/aria-roledescription="bar"/g)).toHaveLength(4);
  });

  it('svgToPng decodes to the SVG size (or the requested width)', async () => {
    const svg = await lineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 's',
          points: [
            [0, 0],
            [1, 1],
          ],
        },
      ],
      width: 300,
      height: 200,
    });
    const w = Number(/width="(\d+)"/.exec(svg)![1]);
    const h = Number(/height="(\d+)"/.exec(svg)![1]);
    const png = PNG.sync.read(svgToPng(svg));
    expect([png.width, png.height]).toEqual([w, h]);
    const wide = PNG.sync.read(svgToPng(svg, { width: 2 * w }));
    expect([wide.width, wide.height]).toEqual([2 * w, 2 * h]);
    // not blank: some pixels are dark (axes, text, line)
    let dark = 0;
    for (let k = 0; k < png.data.length; k += 4) if (png.data[k] < 100) dark++;
    expect(dark).toBeGreaterThan(100);
  });
});
