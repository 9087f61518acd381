import { describe, expect, it } from 'vitest';
import { formatSeconds, TaskProgress } from '../src/run/task-progress.js';

describe('progress of long commands', () => {
  it('plain lines off a TTY: count, percentage, elapsed, ETA and what was done; always the last one', () => {
    const lines: string[] = [];
    const p = new TaskProgress('eval', 4, { kind: 'lines', unit: 'episodes', lineEverySeconds: 3600, write: (l) => lines.push(l) });
    for (let i = 0; i < 4; i++) p.tick(1, i < 2 ? 'greedy' : 'sampling');
    p.stop();
    // The first tick, then nothing until the end (an hour between lines).
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[eval\] 1\/4 episodes \(25%\) \| [\d.]+s elapsed \| ETA [\d.]+s \| greedy$/);
    expect(lines[1]).toMatch(/^\[eval\] 4\/4 episodes \(100%\) \| [\d.]+s elapsed \| sampling$/);
  });

  it('none prints nothing; durations read as people write them', () => {
    const lines: string[] = [];
    const p = new TaskProgress('x', 2, { kind: 'none', write: (l) => lines.push(l) });
    p.tick();
    p.tick();
    expect(lines).toEqual([]);
    expect([formatSeconds(3.21), formatSeconds(42), formatSeconds(125), formatSeconds(7322)]).toEqual(['3.2s', '42s', '2m05s', '2h02m']);
  });
});
