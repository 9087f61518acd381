/**
 * The trackers of the ALE games whose rules a ScoreTracker cannot express (started flags, lives
 * that blink during animations, scores that wrap, garbage on the last frame), each cited against
 * ALE's source (`<Game>.cpp:<line>`, commit a9a043e2). games.ts lists the games that use them.
 */
import { decimalScore, readRam, type RomTracker } from './rom-settings.js';

/** Breakout.cpp:43-58, 80-86; lives() is `isTerminal() ? 0 : m_lives` (Breakout.hpp:74). */
export class BreakoutTracker implements RomTracker {
  reward = 0;
  terminal = false;
  private livesValue = 5;
  private score = 0;
  private started = false;
  get lives(): number {
    return this.terminal ? 0 : this.livesValue;
  }
  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.livesValue = 5; // Breakout.cpp:83
    this.terminal = false;
    this.started = false; // Breakout.cpp:85
  }
  step(ram: Uint8Array): void {
    const x = readRam(ram, 77);
    const y = readRam(ram, 76);
    // Breakout.cpp:47-48: only the low nibble of ram[76] counts (hundreds).
    const score = (x & 0x0f) + 10 * ((x & 0xf0) >> 4) + 100 * (y & 0x0f);
    this.reward = score - this.score;
    this.score = score;
    const byteVal = readRam(ram, 57);
    if (!this.started && byteVal === 5) this.started = true; // Breakout.cpp:54-55
    this.terminal = this.started && byteVal === 0; // Breakout.cpp:56
    this.livesValue = byteVal; // Breakout.cpp:57
  }
}

/**
 * BeamRider.cpp:43-63, 90-95: lives drop only once the death animation is over (RAM $8C == 1),
 * since the lives counter blinks during it; lives() is `isTerminal() ? 0 : m_lives` (BeamRider.hpp:72).
 */
export class BeamRiderTracker implements RomTracker {
  reward = 0;
  terminal = false;
  private livesValue = 3;
  private score = 0;
  get lives(): number {
    return this.terminal ? 0 : this.livesValue;
  }
  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.terminal = false;
    this.livesValue = 3; // BeamRider.cpp:94
  }
  step(ram: Uint8Array): void {
    const score = decimalScore(ram, 9, 10, 11); // BeamRider.cpp:45
    this.reward = score - this.score;
    this.score = score;
    const newLives = readRam(ram, 0x85) + 1; // BeamRider.cpp:48
    if (newLives === this.livesValue - 1) {
      if (readRam(ram, 0x8c) === 0x01) this.livesValue = newLives; // BeamRider.cpp:52-54
    } else {
      this.livesValue = newLives; // BeamRider.cpp:55-56
    }
    // BeamRider.cpp:59-62 (its `(byte & 15) < 0` can never hold).
    this.terminal = readRam(ram, 5) === 255;
  }
}

/**
 * QBert.cpp:43-69, 93-100: the lives byte counts 2, 1, 0, -1 and 0xFE at death; dying and restarting
 * within one frame shows 2 right after -1. No reward on the terminal frame (the score is reset then).
 * lives() is `isTerminal() ? 0 : m_lives` (QBert.hpp:70), starting at 4 whatever the RAM shows.
 */
export class QbertTracker implements RomTracker {
  reward = 0;
  terminal = false;
  private livesValue = 4;
  private score = 0;
  private lastLives = 2;
  get lives(): number {
    return this.terminal ? 0 : this.livesValue;
  }
  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.terminal = false;
    this.lastLives = 2; // QBert.cpp:98
    this.livesValue = 4; // QBert.cpp:99
  }
  step(ram: Uint8Array): void {
    const livesValue = readRam(ram, 0x88);
    this.terminal = livesValue === 0xfe || (livesValue === 0x02 && this.lastLives === -1); // QBert.cpp:48-49
    const livesAsChar = livesValue >= 128 ? livesValue - 256 : livesValue; // QBert.cpp:52 static_cast<char>
    if (this.lastLives - 1 === livesAsChar) this.livesValue--; // QBert.cpp:54-55
    this.lastLives = livesAsChar;
    if (!this.terminal) {
      const score = decimalScore(ram, 0xdb, 0xda, 0xd9); // QBert.cpp:62
      this.reward = score - this.score;
      this.score = score;
    } else {
      this.reward = 0; // QBert.cpp:66-67
    }
  }
}

/**
 * DemonAttack.cpp:43-62, 86-92, 117-134: RAM $81/$83/$85 = $AB/$CD/$EA is uninitialised RAM and
 * scores 0; a game over is not detected on the frame after setMode (its level-change flag, set by
 * setMode and cleared by the next step). lives() is `isTerminal() ? 0 : m_lives` (DemonAttack.hpp:73).
 */
export class DemonAttackTracker implements RomTracker {
  reward = 0;
  terminal = false;
  private livesValue = 4;
  private score = 0;
  private levelChange = false;
  get lives(): number {
    return this.terminal ? 0 : this.livesValue;
  }
  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.terminal = false;
    this.livesValue = 4; // DemonAttack.cpp:90
    this.levelChange = false;
  }
  modeSet(): void {
    this.levelChange = true; // DemonAttack.cpp:128
  }
  step(ram: Uint8Array): void {
    let score = decimalScore(ram, 0x85, 0x83, 0x81); // DemonAttack.cpp:45
    if (readRam(ram, 0x81) === 0xab && readRam(ram, 0x83) === 0xcd && readRam(ram, 0x85) === 0xea) score = 0; // :47-49
    this.reward = score - this.score;
    this.score = score;
    const livesDisplayed = readRam(ram, 0xf2);
    const displayFlag = readRam(ram, 0xf1);
    this.terminal = livesDisplayed === 0 && displayFlag === 0xbd && !this.levelChange; // DemonAttack.cpp:57-58
    this.livesValue = livesDisplayed + 1; // DemonAttack.cpp:59-60
    this.levelChange = false; // DemonAttack.cpp:61
  }
}

/**
 * Atlantis.cpp:43-65, 87-92: on the terminal frame the game writes garbage into $A1, so the reward of
 * that frame is 0 and the score stays the previous one. lives() is `isTerminal() ? 0 : m_lives` (Atlantis.hpp:73).
 */
export class AtlantisTracker implements RomTracker {
  reward = 0;
  terminal = false;
  private livesValue = 6;
  private score = 0;
  get lives(): number {
    return this.terminal ? 0 : this.livesValue;
  }
  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.terminal = false;
    this.livesValue = 6; // Atlantis.cpp:91
  }
  step(ram: Uint8Array): void {
    const score = 100 * decimalScore(ram, 0xa2, 0xa3, 0xa1); // Atlantis.cpp:46-47
    this.reward = score - this.score;
    const oldScore = this.score;
    this.score = score;
    this.livesValue = readRam(ram, 0xf1); // Atlantis.cpp:53
    this.terminal = this.livesValue === 0xff; // Atlantis.cpp:54
    if (this.terminal) {
      this.reward = 0; // Atlantis.cpp:58-61
      this.score = oldScore;
    }
  }
}

/**
 * ChopperCommand.cpp:43-72, 105-111: game over (lives 0) only counts once the game has started,
 * i.e. once RAM $C2 bit 0 (chopper facing right) has been seen. lives() is m_lives, not zeroed on the
 * terminal frame (ChopperCommand.hpp:73).
 */
export class ChopperCommandTracker implements RomTracker {
  reward = 0;
  private gameOver = false;
  private started = false;
  lives = 3;
  private score = 0;
  get terminal(): boolean {
    return this.started && this.gameOver; // ChopperCommand.cpp:70-72
  }
  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.gameOver = false;
    this.lives = 3; // ChopperCommand.cpp:109
    this.started = false; // ChopperCommand.cpp:110
  }
  step(ram: Uint8Array): void {
    const score = 100 * decimalScore(ram, 0xee, 0xec); // ChopperCommand.cpp:45-46
    this.reward = score - this.score;
    this.score = score;
    this.lives = readRam(ram, 0xe4) & 0xf; // ChopperCommand.cpp:51
    this.gameOver = this.lives === 0; // ChopperCommand.cpp:52
    if (readRam(ram, 0xc2) & 0x1) this.started = true; // ChopperCommand.cpp:66
  }
}

/** Enduro.cpp:30-53: cars passed over all days, 200 on day 1 and 300 on each later day; 0 before day 1. */
export function enduroScore(ram: Uint8Array): number {
  const level = readRam(ram, 0xad);
  if (level === 0) return 0;
  let carsPassed = decimalScore(ram, 0xab, 0xac);
  carsPassed = (level === 1 ? 200 : 300) - carsPassed;
  let score = 0;
  if (level >= 2) score = 200 + (level - 2) * 300;
  return score + carsPassed;
}

/** Boxing.cpp:30-37: BCD points, and 0xC0 in a points byte is a knock-out worth 100. */
export function boxingPoints(ram: Uint8Array): { me: number; them: number } {
  let me = decimalScore(ram, 0x92);
  let them = decimalScore(ram, 0x93);
  if (readRam(ram, 0x92) === 0xc0) me = 100;
  if (readRam(ram, 0x93) === 0xc0) them = 100;
  return { me, them };
}
