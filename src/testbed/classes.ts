/**
 * Device classes of the testbed, by the single-core fp32 peak a 128-bit SIMD unit gives (the width
 * tfjs's wasm backend uses; the Pi Zero's scalar FPU for it): FLOP/cycle × clock, from the cores' published microarchitecture.
 * The testbed does not guess what a device reaches on the policy network: it measures this host's
 * effective FLOP/s on the real layers, assumes the same fraction of peak on the device, and limits
 * each device's CPU quota so that it measures that much (checked in test/testbed.test.ts).
 *
 *   device effective FLOP/s = host measured FLOP/s × device peak / host 128-bit peak
 */
export interface DeviceClass {
  readonly name: string;
  readonly description: string;
  /** fp32 FLOP per cycle of one core with 128-bit SIMD FMA. */
  readonly flopPerCycle: number;
  readonly ghz: number;
}

export const DEVICE_CLASSES: Record<string, DeviceClass> = {
  rpi3: {
    name: 'rpi3',
    description: 'Raspberry Pi 3 B+: Cortex-A53 @ 1.4 GHz (64-bit NEON datapath, one FMA per cycle: 4 FLOP/cycle)',
    flopPerCycle: 4,
    ghz: 1.4,
  },
  // Scalar VFP: the class the testbed studies use for devices too weak to run the whole net at the
  // learner's training rate (Node runs there from the unofficial armv6l builds).
  'rpi-zero': {
    name: 'rpi-zero',
    description: 'Raspberry Pi Zero W: ARM1176JZF-S @ 1 GHz (VFPv2, no NEON: one pipelined single-precision multiply-accumulate per cycle, 2 FLOP/cycle)',
    flopPerCycle: 2,
    ghz: 1,
  },
  rpi4: { name: 'rpi4', description: 'Raspberry Pi 4 B: Cortex-A72 @ 1.5 GHz (128-bit NEON FMA: 8 FLOP/cycle)', flopPerCycle: 8, ghz: 1.5 },
  'jetson-nano': { name: 'jetson-nano', description: 'Jetson Nano CPU: Cortex-A57 @ 1.43 GHz (128-bit NEON FMA: 8 FLOP/cycle)', flopPerCycle: 8, ghz: 1.43 },
  phone: { name: 'phone', description: 'phone big core: Cortex-A76 @ 2.4 GHz (two 128-bit FMA pipes: 16 FLOP/cycle)', flopPerCycle: 16, ghz: 2.4 },
  host: { name: 'host', description: 'a core of this machine, unthrottled', flopPerCycle: Number.NaN, ghz: Number.NaN },
};

/** Peak FLOP/s of one core of a class (NaN for 'host': not limited). */
export function classPeak(c: DeviceClass): number {
  return c.flopPerCycle * c.ghz * 1e9;
}

/** This host's 128-bit SIMD peak per core: two FMA pipes × 4 lanes × 2 (x86-64 cores since Haswell/Zen), × its clock. */
export function hostPeak(mhz: number): number {
  return 16 * mhz * 1e6;
}

/** The FLOP/s a device of `c` should measure here, and the fraction of one core that gives it. */
export function calibrate(c: DeviceClass, hostMeasured: number, hostMhz: number): { flops: number; quota: number } {
  if (c.name === 'host') return { flops: hostMeasured, quota: 1 };
  const flops = (hostMeasured * classPeak(c)) / hostPeak(hostMhz);
  return { flops, quota: Math.min(1, flops / hostMeasured) };
}
