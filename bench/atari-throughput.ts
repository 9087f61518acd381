/**
 * Atari throughput on one core: emulated frames per CPU-second of the Stella wasm core
 *   raw      — StellaCore.step() with random joystick bits (the emulator alone),
 *   ale      — AleGame.act(): plus sticky actions, RAM read-out of reward/lives/terminal,
 *   wrapped  — AtariEnv.step(): plus frame skip 4, max-pool, grayscale, 84x84 area resize, stack 4
 *              (reported both as agent steps/s and as emulated frames/s = 4x steps, as observations
 *              are built once per agent step).
 *
 * Run: npx tsx bench/atari-throughput.ts [--seconds 2] [--runs 5] [--rom-dir DIR --game breakout] [--out f.json]
 * Without --rom-dir it runs the project's own test game ROM (packages/ale-wasm/test-roms/game.bin):
 * a 2600 CPU runs 19,912 cycles per NTSC frame whatever the game, so the emulator's cost per frame
 * differs little between ROMs, but a commercial game's TIA activity is higher: measure with yours.
 *
 * Method as bench/env-throughput.ts: actions pre-drawn from a seeded generator, one untimed warm-up
 * run, steps in chunks until --seconds of this process's CPU time have passed, median of --runs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { AleGame } from '../src/env/atari/ale.js';
import { StellaCore } from '../src/env/atari/core.js';
import { A } from '../src/env/atari/actions.js';
import { AtariEnv } from '../src/env/atari/env.js';
import { COKNIGHT_TEST_GAME } from '../src/env/atari/test-game.js';
import '../src/env/atari/games.js';
import { romSettingsById, type RomSettings } from '../src/env/atari/rom-settings.js';
import { loadRom, resolveRomDir } from '../src/env/atari/roms.js';
import { Rng } from '../src/util/rng.js';

const CHUNK = 256;

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const TEST_GAME: RomSettings = COKNIGHT_TEST_GAME;

function timeLoop(seconds: number, body: () => number): number {
  let units = 0;
  const t0 = cpuSeconds();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (let i = 0; i < CHUNK; i++) units += body();
    elapsed = cpuSeconds() - t0;
  }
  return units / elapsed;
}

function main(): void {
  const positive = (flag: string) => (v: string) => {
    const n = Number(v);
    if (!(n > 0)) throw new InvalidArgumentError(`${flag} must be a positive number, got "${v}"`);
    return n;
  };
  const opts = new Command()
    .option('--seconds <s>', 'CPU seconds per measurement', positive('--seconds'), 2)
    .option('--runs <n>', 'measurements per mode (median reported)', positive('--runs'), 5)
    .option('--rom-dir <dir>', 'directory with your ROMs (default: the project test ROM)')
    .option('--game <id>', 'game id with --rom-dir', 'breakout')
    .option('--out <file>', 'write the results as JSON')
    .parse()
    .opts<{ seconds: number; runs: number; romDir?: string; game: string; out?: string }>();

  let settings: RomSettings;
  let rom: Uint8Array;
  if (opts.romDir) {
    const s = romSettingsById(opts.game);
    if (!s) throw new Error(`--game ${opts.game}: not a supported game`);
    settings = s;
    rom = loadRom(s, resolveRomDir(opts.romDir, 'bench')).bytes;
  } else {
    settings = TEST_GAME;
    rom = new Uint8Array(readFileSync(new URL('../packages/ale-wasm/test-roms/game.bin', import.meta.url)));
  }

  const rng = new Rng(7);
  const bits = Uint8Array.from({ length: 4096 }, () => rng.int(32));
  // The test game ends after three presses of DOWN; keep its episodes long like a real game's by
  // playing NOOP/FIRE/RIGHT/RIGHTFIRE there. With a real ROM: uniformly random actions.
  const pool = opts.romDir ? Array.from({ length: 18 }, (_, i) => i) : [A.NOOP, A.FIRE, A.RIGHT, A.RIGHTFIRE];
  const acts = Uint8Array.from({ length: 4096 }, () => pool[rng.int(pool.length)]!);
  let k = 0;

  const rawCore = StellaCore.create();
  rawCore.loadRom(rom, 1);
  const raw = () => {
    rawCore.step(bits[k++ & 4095]!);
    return 1;
  };

  // Frames are counted from the emulator, so reset sequences (64+ frames each) count as work done.
  const game = new AleGame(StellaCore.create(), settings, { seed: 1 });
  game.core.loadRom(rom, 1);
  game.resetGame();
  const ale = () => {
    const f0 = game.core.frameNumber;
    game.act(acts[k++ & 4095]!);
    if (game.terminal || game.truncated) game.resetGame();
    return game.core.frameNumber - f0;
  };

  const core = StellaCore.create();
  core.loadRom(rom, 1);
  const env = new AtariEnv(`atari/${settings.id}`, core, settings, { seed: 1 });
  const actionOf = new Map(settings.minimalActions.map((a, i) => [a, i]));
  env.reset();
  let wrappedSteps = 0;
  const wrapped = () => {
    const f0 = core.frameNumber;
    const r = env.stepFast(actionOf.get(acts[k++ & 4095]!) ?? 0);
    wrappedSteps++;
    if (r !== 0) env.reset();
    return core.frameNumber - f0;
  };

  const results: Record<string, number> = {};
  let stepsPerFrame = 0;
  for (const [name, body] of [
    ['raw', raw],
    ['ale', ale],
    ['wrapped', wrapped],
  ] as const) {
    timeLoop(Math.min(0.5, opts.seconds), body); // warm-up
    const runs: number[] = [];
    const s0 = wrappedSteps;
    const f0 = core.frameNumber;
    for (let r = 0; r < opts.runs; r++) runs.push(timeLoop(opts.seconds, body));
    if (name === 'wrapped') stepsPerFrame = (wrappedSteps - s0) / (core.frameNumber - f0);
    results[name] = median(runs);
  }
  const out = {
    rom: opts.romDir ? `${settings.id} from ${opts.romDir}` : 'packages/ale-wasm/test-roms/game.bin',
    seconds: opts.seconds,
    runs: opts.runs,
    rawFramesPerSec: Math.round(results.raw!),
    aleFramesPerSec: Math.round(results.ale!),
    wrappedFramesPerSec: Math.round(results.wrapped!),
    wrappedStepsPerSec: Math.round(results.wrapped! * stepsPerFrame),
    node: process.version,
  };
  console.log(JSON.stringify(out, null, 2));
  if (opts.out) writeFileSync(opts.out, JSON.stringify(out, null, 2));
}

main();
