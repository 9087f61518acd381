/**
 * The 32-bit Mersenne Twister (std::mt19937), the generator behind ALE's stella::Random
 * (ALE src/ale/emucore/Random.cxx:34 `typedef std::mt19937 randgen_t`). ALE draws from two of them:
 * the environment's, seeded with the `random_seed` setting, for sticky actions
 * (stella_environment.cpp:55-63, 172-180), and the console's, seeded with `system_random_seed`
 * (default 4753849, Settings.cxx:396; System.cxx:42-43), for the power-on RAM (M6532.cxx:40-43).
 * Reproducing it lets sticky-action decisions and power-on RAM be ALE's for the same seed.
 */
export class Mt19937 {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed = 5489) {
    this.seed(seed);
  }

  /** std::mt19937::seed(value). */
  seed(value: number): void {
    const mt = this.mt;
    mt[0] = value >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, modulo 2^32, without losing bits to floating point.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = 624;
  }

  /** The next 32-bit output (std::mt19937::operator()). */
  next(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % 624]! & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** ALE's Random::nextDouble: next() / 2^32 (Random.cxx:75-78), in [0, 1). */
  nextDouble(): number {
    return this.next() / 4294967296;
  }
}

/** ALE's default `system_random_seed` (Settings.cxx:396). */
export const ALE_SYSTEM_RANDOM_SEED = 4753849;

/**
 * ALE's power-on RAM: the M6532 constructor fills its 128 bytes with the console generator's first
 * 128 outputs, truncated to bytes (M6532.cxx:38-43); the generator is seeded in the System
 * constructor (System.cxx:42-43), and no device draws from it before the M6532 (Console.cxx:105-121).
 */
export function alePowerOnRam(systemSeed = ALE_SYSTEM_RANDOM_SEED): Uint8Array {
  const g = new Mt19937(systemSeed);
  const ram = new Uint8Array(128);
  for (let i = 0; i < 128; i++) ram[i] = g.next() & 0xff;
  return ram;
}
