/**
 * Every per-game rule of src/env/atari/games.ts (ALE's RomSettings, src/ale/games/supported/<Game>.cpp
 * at ALE commit a9a043e2), driven with crafted RAM: no ROM needed. Each test writes the bytes ALE's
 * rule reads and checks hand-computed reward / terminal / lives. Addresses are written as ALE writes
 * them (0x80-based or 0-based; readRam takes them modulo 128).
 */
import { describe, expect, it } from 'vitest';
import { ALE_GAMES } from '../src/env/atari/games.js';
import { allRomSettings, bcdByte, decimalScore, romSettingsById, romSettingsByMd5 } from '../src/env/atari/rom-settings.js';
import { ALE_ACTION_NAMES } from '../src/env/atari/actions.js';

function game(id: string) {
  const s = romSettingsById(id);
  if (!s) throw new Error(`no settings for ${id}`);
  const t = s.createTracker();
  const ram = new Uint8Array(128);
  const set = (addr: number, v: number) => {
    ram[addr & 0x7f] = v;
  };
  t.reset(ram);
  return { s, t, ram, set, step: () => (t.step(ram), t) };
}

const names = (id: string) => romSettingsById(id)!.minimalActions.map((a) => ALE_ACTION_NAMES[a]);

describe('decoding helpers (RomUtils.cpp)', () => {
  it('bcdByte is 10 * high nibble + low nibble, unchecked: 0x45 -> 45, 0xAB -> 111 (RomUtils.cpp:84-87)', () => {
    expect(bcdByte(0x45)).toBe(45);
    expect(bcdByte(0x99)).toBe(99);
    expect(bcdByte(0xab)).toBe(10 * 10 + 11);
  });
  it('decimalScore weights bytes 1, 100, 10,000 from least significant (RomUtils.cpp:93-118)', () => {
    const ram = new Uint8Array(128);
    ram[0x10] = 0x56;
    ram[0x11] = 0x34;
    ram[0x12] = 0x12;
    expect(decimalScore(ram, 0x90, 0x91, 0x92)).toBe(123456);
    expect(decimalScore(ram, 0x10)).toBe(56);
  });
});

describe('game table (md5, minimal actions, starting actions, modes, screen)', () => {
  it("has ALE's 17 games with distinct md5s, each found by md5 in any case", () => {
    expect(ALE_GAMES.map((g) => g.id).sort()).toEqual([
      'asteroids',
      'atlantis',
      'beam_rider',
      'boxing',
      'breakout',
      'centipede',
      'chopper_command',
      'demon_attack',
      'enduro',
      'freeway',
      'frostbite',
      'montezuma_revenge',
      'ms_pacman',
      'pong',
      'qbert',
      'seaquest',
      'space_invaders',
    ]);
    expect(new Set(ALE_GAMES.map((g) => g.md5)).size).toBe(17);
    for (const g of ALE_GAMES) {
      expect(romSettingsByMd5(g.md5.toUpperCase())).toBe(g);
      // getMinimalActionSet walks actions 0..17 in order (RomSettings.cpp:32-40): ascending.
      expect([...g.minimalActions].sort((a, b) => a - b)).toEqual(g.minimalActions);
    }
    expect(allRomSettings().length).toBeGreaterThanOrEqual(17);
  });

  it('minimal action sets are the isMinimal switches of each .cpp', () => {
    expect(names('breakout')).toEqual(['NOOP', 'FIRE', 'RIGHT', 'LEFT']);
    expect(names('pong')).toEqual(['NOOP', 'FIRE', 'RIGHT', 'LEFT', 'RIGHTFIRE', 'LEFTFIRE']);
    expect(names('space_invaders')).toEqual(['NOOP', 'FIRE', 'RIGHT', 'LEFT', 'RIGHTFIRE', 'LEFTFIRE']);
    expect(names('demon_attack')).toEqual(['NOOP', 'FIRE', 'RIGHT', 'LEFT', 'RIGHTFIRE', 'LEFTFIRE']);
    expect(names('ms_pacman')).toEqual(['NOOP', 'UP', 'RIGHT', 'LEFT', 'DOWN', 'UPRIGHT', 'UPLEFT', 'DOWNRIGHT', 'DOWNLEFT']);
    expect(names('beam_rider')).toEqual(['NOOP', 'FIRE', 'UP', 'RIGHT', 'LEFT', 'UPRIGHT', 'UPLEFT', 'RIGHTFIRE', 'LEFTFIRE']);
    expect(names('enduro')).toEqual(['NOOP', 'FIRE', 'RIGHT', 'LEFT', 'DOWN', 'DOWNRIGHT', 'DOWNLEFT', 'RIGHTFIRE', 'LEFTFIRE']);
    expect(names('qbert')).toEqual(['NOOP', 'FIRE', 'UP', 'RIGHT', 'LEFT', 'DOWN']);
    expect(names('freeway')).toEqual(['NOOP', 'UP', 'DOWN']);
    expect(names('atlantis')).toEqual(['NOOP', 'FIRE', 'RIGHTFIRE', 'LEFTFIRE']);
    expect(names('asteroids')).toEqual([
      'NOOP',
      'FIRE',
      'UP',
      'RIGHT',
      'LEFT',
      'DOWN',
      'UPRIGHT',
      'UPLEFT',
      'UPFIRE',
      'RIGHTFIRE',
      'LEFTFIRE',
      'DOWNFIRE',
      'UPRIGHTFIRE',
      'UPLEFTFIRE',
    ]);
    for (const id of ['seaquest', 'boxing', 'montezuma_revenge', 'frostbite', 'centipede', 'chopper_command']) expect(names(id).length).toBe(18);
  });

  it('starting actions: Beam Rider RIGHT (BeamRider.cpp:113-115), Enduro FIRE (Enduro.cpp:106-108), none elsewhere', () => {
    expect(romSettingsById('beam_rider')!.startingActions!.map((a) => ALE_ACTION_NAMES[a])).toEqual(['RIGHT']);
    expect(romSettingsById('enduro')!.startingActions!.map((a) => ALE_ACTION_NAMES[a])).toEqual(['FIRE']);
    for (const g of ALE_GAMES) if (!['beam_rider', 'enduro'].includes(g.id)) expect(g.startingActions ?? []).toEqual([]);
  });

  it("default modes and the SELECT presses ALE makes for them (each game's setMode)", () => {
    const ram = new Uint8Array(128);
    // [id, RAM address read, default mode, frames SELECT is held per press]
    const table: [string, number, number, number][] = [
      ['breakout', 0xb2, 0, 1],
      ['pong', 0x96, 0, 2],
      ['space_invaders', 0xdc, 0, 2],
      ['freeway', 0x80, 0, 1],
      ['frostbite', 0x80, 0, 1],
      ['demon_attack', 0xea, 1, 1],
      ['asteroids', 0x80, 0, 2],
      ['atlantis', 0x8d, 0, 2],
      ['centipede', 0xa7, 0x16, 2],
      ['chopper_command', 0xe0, 0, 2],
    ];
    for (const [id, addr, mode, frames] of table) {
      const ms = romSettingsById(id)!.modeSelect!;
      expect([id, ms.defaultMode, ms.selectFrames]).toEqual([id, mode, frames]);
      ram.fill(0);
      ram[addr & 0x7f] = mode + 1;
      expect(ms.reached(ram)).toBe(false);
      ram[addr & 0x7f] = mode;
      expect(ms.reached(ram)).toBe(true);
    }
    // Ms. Pac-Man mode 0: $99 == 1 and $A1 == 1, SELECT held 10 frames (MsPacman.cpp:122-133).
    const mp = romSettingsById('ms_pacman')!.modeSelect!;
    expect([mp.defaultMode, mp.selectFrames]).toEqual([0, 10]);
    ram.fill(0);
    ram[0x99 & 0x7f] = 1;
    expect(mp.reached(ram)).toBe(false);
    ram[0xa1 & 0x7f] = 1;
    expect(mp.reached(ram)).toBe(true);
    // Games that do not override setMode: no SELECT, no extra RESET (RomSettings.cpp:60-65).
    for (const id of ['seaquest', 'beam_rider', 'enduro', 'qbert', 'boxing', 'montezuma_revenge']) expect(romSettingsById(id)!.modeSelect).toBeUndefined();
  });

  it('screen window: Q*bert starts at scanline 40 (DefProps.hxx Display.YStart), the others at the default 34', () => {
    for (const g of ALE_GAMES) expect(g.screenYStart ?? 34).toBe(g.id === 'qbert' ? 40 : 34);
  });
});

describe('Breakout (Breakout.cpp:43-86, .hpp:74)', () => {
  it('score = ram[77] BCD + 100 * low nibble of ram[76]; the high nibble of ram[76] is ignored', () => {
    const { set, step } = game('breakout');
    set(77, 0x45);
    set(76, 0xf3);
    expect(step().reward).toBe(345);
    set(77, 0x47);
    expect(step().reward).toBe(2);
  });
  it('lives start at 5 and follow ram[57]; terminal only once 5 has been seen (started), then lives() = 0', () => {
    const { t, set, step } = game('breakout');
    expect(t.lives).toBe(5);
    expect(step().terminal).toBe(false); // ram[57] == 0 but not started
    expect(t.lives).toBe(0);
    set(57, 5);
    expect(step().lives).toBe(5);
    set(57, 4);
    expect(step().lives).toBe(4);
    set(57, 0);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
  it('reset() clears the started flag', () => {
    const { t, ram, set, step } = game('breakout');
    set(57, 5);
    step();
    t.reset(ram);
    set(57, 0);
    expect(step().terminal).toBe(false);
  });
});

describe('Pong (Pong.cpp:28-39, .hpp:73)', () => {
  it('reward = change of (ram[14] - ram[13]); ends when either reaches 21; lives() = 0 throughout', () => {
    const { t, set, step } = game('pong');
    expect(t.lives).toBe(0);
    set(14, 1);
    expect(step().reward).toBe(1);
    set(13, 3);
    expect(step().reward).toBe(-3);
    expect(t.terminal).toBe(false);
    set(14, 21);
    expect(step().reward).toBe(20);
    expect(t.terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
});

describe('Space Invaders (SpaceInvaders.cpp:45-91, .hpp:73)', () => {
  it('score = BCD $E8 (low) $E6 (high); a negative change wraps at 10,000', () => {
    const { set, step } = game('space_invaders');
    set(0xc9, 3);
    set(0xe6, 0x99);
    set(0xe8, 0x90);
    expect(step().reward).toBe(9990);
    set(0xe6, 0x00);
    set(0xe8, 0x10);
    expect(step().reward).toBe(20); // (10,000 - 9,990) + 10
  });
  it('lives = ram[$C9] (3 before the first frame); over on bit 7 of $98 or 0 lives; lives() 0 then', () => {
    const { t, set, step } = game('space_invaders');
    expect(t.lives).toBe(3);
    set(0xc9, 2);
    expect(step().lives).toBe(2);
    set(0x98, 0x80);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
    set(0x98, 0);
    set(0xc9, 0);
    expect(step().terminal).toBe(true);
  });
});

describe('Ms. Pac-Man (MsPacman.cpp:43-88)', () => {
  it('score = BCD $F8 $F9 $FA', () => {
    const { set, step } = game('ms_pacman');
    set(0xfb, 2);
    set(0xf8, 0x10);
    set(0xf9, 0x02);
    set(0xfa, 0x01);
    expect(step().reward).toBe(10210);
  });
  it('lives = (($FB & 0xF) & 7) + 1, 3 before the first frame', () => {
    const { t, set, step } = game('ms_pacman');
    expect(t.lives).toBe(3);
    set(0xfb, 0x02);
    expect(step().lives).toBe(3);
    set(0xfb, 0x0a); // & 7 = 2
    expect(step().lives).toBe(3);
  });
  it('over when the low nibble of $FB is 0 and the death timer $A7 is 0x53 (a high nibble in $FB does not matter)', () => {
    const { t, set, step } = game('ms_pacman');
    set(0xfb, 0x08); // low nibble 8: not over, although & 7 == 0
    set(0xa7, 0x53);
    expect(step().terminal).toBe(false);
    expect(t.lives).toBe(1);
    set(0xfb, 0x30);
    set(0xa7, 0x52);
    expect(step().terminal).toBe(false);
    set(0xa7, 0x53);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
});

describe('Seaquest (Seaquest.cpp:43-92)', () => {
  it('score = BCD $BA $B9 $B8; lives = $BB + 1 (4 initially); over when $A3 != 0, lives() 0 then', () => {
    const { t, set, step } = game('seaquest');
    expect(t.lives).toBe(4);
    set(0xba, 0x20);
    set(0xb9, 0x01);
    set(0xbb, 3);
    expect(step().reward).toBe(120);
    expect(t.lives).toBe(4);
    set(0xbb, 1);
    expect(step().lives).toBe(2);
    set(0xa3, 1);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
});

describe('Beam Rider (BeamRider.cpp:43-95)', () => {
  it('score = BCD ram[9] ram[10] ram[11]; over when ram[5] == 255', () => {
    const { t, set, step } = game('beam_rider');
    set(0x85, 2);
    set(9, 0x44);
    set(10, 0x02);
    expect(step().reward).toBe(244);
    set(5, 254);
    expect(step().terminal).toBe(false);
    set(5, 255);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
  it('a drop of one life counts only once $8C == 1 (the death animation is over); other changes at once', () => {
    const { t, set, step } = game('beam_rider');
    expect(t.lives).toBe(3);
    set(0x85, 2); // 3 lives
    expect(step().lives).toBe(3);
    set(0x85, 1); // shows 2 lives while the counter blinks
    set(0x8c, 0);
    expect(step().lives).toBe(3);
    set(0x8c, 1);
    expect(step().lives).toBe(2);
    set(0x85, 4); // a bonus life: no wait
    set(0x8c, 0);
    expect(step().lives).toBe(5);
    set(0x85, 1); // a drop by more than one: at once
    expect(step().lives).toBe(2);
  });
});

describe('Enduro (Enduro.cpp:30-59, .hpp:72)', () => {
  it('score 0 before day 1; day 1 counts 200 - cars left; later days 200 + 300 * (day - 2) + 300 - cars left', () => {
    const { t, set, step } = game('enduro');
    set(0xab, 0x00);
    set(0xac, 0x02);
    expect(step().reward).toBe(0); // level 0
    set(0xad, 1); // day 1, 200 to go
    expect(step().reward).toBe(0);
    set(0xab, 0x95);
    set(0xac, 0x01); // 195 to go
    expect(step().reward).toBe(5);
    set(0xad, 3);
    set(0xab, 0x99);
    set(0xac, 0x02); // day 3, 299 to go: 200 + 300 + 1 = 501
    expect(step().reward).toBe(501 - 5);
    expect(t.lives).toBe(0);
  });
  it('over when $AF == 0xFF; lives() = 0 throughout', () => {
    const { t, set, step } = game('enduro');
    set(0xaf, 0xfe);
    expect(step().terminal).toBe(false);
    set(0xaf, 0xff);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
});

describe('Q*bert (QBert.cpp:43-100, .hpp:70)', () => {
  it('4 lives whatever the RAM; each step down of the signed lives byte $88 costs one', () => {
    const { t, set, step } = game('qbert');
    expect(t.lives).toBe(4);
    set(0x88, 2);
    expect(step().lives).toBe(4);
    set(0x88, 1);
    expect(step().lives).toBe(3);
    set(0x88, 0);
    expect(step().lives).toBe(2);
    set(0x88, 0xff); // -1
    expect(step().lives).toBe(1);
    expect(t.terminal).toBe(false);
  });
  it('over at $88 == 0xFE, with no reward on that frame (the score is reset then)', () => {
    const { t, set, step } = game('qbert');
    set(0x88, 2);
    set(0xdb, 0x25);
    set(0xda, 0x01);
    expect(step().reward).toBe(125);
    set(0x88, 0xfe);
    set(0xdb, 0);
    set(0xda, 0);
    const end = step();
    expect(end.terminal).toBe(true);
    expect(end.reward).toBe(0);
    expect(t.lives).toBe(0);
  });
  it('over when the lives byte jumps from -1 back to 2 within a frame (die and restart)', () => {
    const { t, set, step } = game('qbert');
    set(0x88, 0xff);
    step();
    set(0x88, 2);
    expect(step().terminal).toBe(true);
    expect(t.reward).toBe(0);
  });
});

describe('Freeway (Freeway.cpp:34-47, .hpp:74)', () => {
  it('score = BCD ram[103]; the reward is clamped to [0, 1]', () => {
    const { set, step } = game('freeway');
    set(103, 0x12);
    expect(step().reward).toBe(1); // 12 points at once still reward 1
    set(103, 0x13);
    expect(step().reward).toBe(1);
    set(103, 0x00);
    expect(step().reward).toBe(0); // a drop is 0, not -13
  });
  it('over when ram[22] == 1; lives() = 0 throughout', () => {
    const { t, set, step } = game('freeway');
    set(22, 2);
    expect(step().terminal).toBe(false);
    set(22, 1);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
});

describe('Boxing (Boxing.cpp:28-52, .hpp:70)', () => {
  it('reward = change of my points $92 - opponent points $93 (BCD)', () => {
    const { set, step } = game('boxing');
    set(0x90, 0x20);
    set(0x92, 0x12);
    set(0x93, 0x03);
    expect(step().reward).toBe(9);
  });
  it('0xC0 is a knock-out worth 100 points and ends the game', () => {
    const { t, set, step } = game('boxing');
    set(0x90, 0x10);
    set(0x92, 0x50);
    step();
    set(0x92, 0xc0);
    expect(step().reward).toBe(50);
    expect(t.terminal).toBe(true);
  });
  it('otherwise over when the clock ($90 minutes in the high nibble, $91 BCD seconds) reads 0:00', () => {
    const { t, set, step } = game('boxing');
    set(0x90, 0x0f); // low nibble is not minutes
    set(0x91, 0x01);
    expect(step().terminal).toBe(false);
    set(0x91, 0x00);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
});

describe("Montezuma's Revenge (MontezumaRevenge.cpp:43-98)", () => {
  it('score = BCD $95 $94 $93; lives = ($BA & 7) + 1 (6 initially); over when $BA == 0 and $FE == 0x60', () => {
    const { t, set, step } = game('montezuma_revenge');
    expect(t.lives).toBe(6);
    set(0x95, 0x00);
    set(0x94, 0x01);
    set(0xba, 5);
    expect(step().reward).toBe(100);
    expect(t.lives).toBe(6);
    set(0xba, 0x08); // & 7 = 0, but $BA != 0: not over
    set(0xfe, 0x60);
    expect(step().lives).toBe(1);
    expect(t.terminal).toBe(false);
    set(0xba, 0);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
});

describe('Frostbite (Frostbite.cpp:43-98)', () => {
  it('score = BCD $CA $C9 $C8; lives = ($CC & 0xF) + 1 (4 initially); over when that nibble is 0 and bit 7 of $F1 is set', () => {
    const { t, set, step } = game('frostbite');
    expect(t.lives).toBe(4);
    set(0xca, 0x60);
    set(0xc9, 0x01);
    set(0xcc, 0x13); // high nibble ignored
    expect(step().reward).toBe(160);
    expect(t.lives).toBe(4);
    set(0xcc, 0x10);
    set(0xf1, 0x7f);
    expect(step().terminal).toBe(false);
    set(0xf1, 0x80);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
});

describe('Demon Attack (DemonAttack.cpp:43-92, 117-134)', () => {
  it('score = BCD $85 (low) $83 $81 (high)', () => {
    const { set, step } = game('demon_attack');
    set(0xf2, 3);
    set(0x85, 0x30);
    set(0x83, 0x02);
    set(0x81, 0x01);
    expect(step().reward).toBe(10230);
  });
  it('uninitialised RAM ($81/$83/$85 = $AB/$CD/$EA) scores 0', () => {
    const { set, step } = game('demon_attack');
    set(0x81, 0xab);
    set(0x83, 0xcd);
    set(0x85, 0xea);
    expect(step().reward).toBe(0);
    set(0x85, 0xeb); // any other byte is decoded as it is: 151 + 100 * 133 + 10,000 * 111
    expect(step().reward).toBe(151 + 13300 + 1110000);
    expect(bcdByte(0xeb) + 100 * bcdByte(0xcd) + 10000 * bcdByte(0xab)).toBe(1123451);
  });
  it('lives = $F2 + 1 (4 initially); over when $F2 == 0 and $F1 == 0xBD, but not on the frame after setMode', () => {
    const { t, set, step } = game('demon_attack');
    expect(t.lives).toBe(4);
    set(0xf2, 0);
    set(0xf1, 0xbd);
    t.modeSet!();
    expect(step().terminal).toBe(false); // level-change flag set by setMode
    expect(t.lives).toBe(1);
    expect(step().terminal).toBe(true); // cleared by the step before
    expect(t.lives).toBe(0);
  });
});

describe('Asteroids (Asteroids.cpp:43-97)', () => {
  it('score = 10 * BCD $BE (low) $BD (high); a negative change wraps by 100,000', () => {
    const { set, step } = game('asteroids');
    set(0xbc, 0x40);
    set(0xbe, 0x50);
    set(0xbd, 0x99);
    expect(step().reward).toBe(99500);
    set(0xbe, 0x02);
    set(0xbd, 0x00);
    expect(step().reward).toBe(20 - 99500 + 100000);
  });
  it('lives = high nibble of $BC (4 initially); over at 0', () => {
    const { t, set, step } = game('asteroids');
    expect(t.lives).toBe(4);
    set(0xbc, 0x3f);
    expect(step().lives).toBe(3);
    set(0xbc, 0x0f);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
});

describe('Atlantis (Atlantis.cpp:43-92)', () => {
  it('score = 100 * BCD $A2 (low) $A3 $A1 (high)', () => {
    const { set, step } = game('atlantis');
    set(0xf1, 5);
    set(0xa2, 0x12);
    set(0xa3, 0x34);
    set(0xa1, 0x01);
    expect(step().reward).toBe(100 * 13412);
  });
  it('lives = $F1 (6 initially); over at 0xFF, where the garbage in $A1 gives reward 0 and leaves the score', () => {
    const { t, set, step } = game('atlantis');
    expect(t.lives).toBe(6);
    set(0xf1, 5);
    set(0xa2, 0x10);
    expect(step().reward).toBe(1000);
    set(0xf1, 0xff);
    set(0xa1, 0x77); // garbage
    expect(step().reward).toBe(0);
    expect(t.terminal).toBe(true);
    expect(t.lives).toBe(0);
    // The score kept is 1,000: had the garbage score 100 * (10 + 770,000) been kept, this frame would
    // give 1,000 - 77,001,000; it gives 0.
    set(0xf1, 4);
    set(0xa1, 0);
    expect(step().reward).toBe(0);
  });
});

describe('Centipede (Centipede.cpp:43-100)', () => {
  it('score = BCD ram[118] ram[117] ram[116]; a negative change rewards 0', () => {
    const { set, step } = game('centipede');
    set(118, 0x45);
    set(117, 0x23);
    set(116, 0x01);
    expect(step().reward).toBe(12345);
    set(118, 0);
    set(117, 0);
    set(116, 0);
    expect(step().reward).toBe(0);
    set(118, 0x05);
    expect(step().reward).toBe(5); // from the new (reset) score
  });
  it('lives = ((ram[$ED] >> 4) & 7) + 1 (3 initially); over when bit 6 of $A6 is set', () => {
    const { t, set, step } = game('centipede');
    expect(t.lives).toBe(3);
    set(0xed, 0xa0); // (0xA & 7) + 1 = 3
    expect(step().lives).toBe(3);
    set(0xa6, 0xbf);
    expect(step().terminal).toBe(false);
    set(0xa6, 0x40);
    expect(step().terminal).toBe(true);
    expect(t.lives).toBe(0);
  });
});

describe('Chopper Command (ChopperCommand.cpp:43-111, .hpp:73)', () => {
  it('score = 100 * BCD $EE (low) $EC (high)', () => {
    const { set, step } = game('chopper_command');
    set(0xe4, 3);
    set(0xee, 0x03);
    set(0xec, 0x01);
    expect(step().reward).toBe(10300);
  });
  it('lives = $E4 & 0xF; 0 lives end the game only once $C2 bit 0 has been seen; lives() is not zeroed', () => {
    const { t, set, step } = game('chopper_command');
    expect(t.lives).toBe(3);
    set(0xe4, 0x30); // 0 lives, not started
    expect(step().terminal).toBe(false);
    expect(t.lives).toBe(0);
    set(0xe4, 0x03);
    set(0xc2, 0x01);
    expect(step().terminal).toBe(false);
    set(0xc2, 0x00); // the flag is sticky
    set(0xe4, 0x00);
    expect(step().terminal).toBe(true);
  });
});
