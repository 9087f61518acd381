/**
 * Link rates as people write them. Units: decimal SI prefixes as network links are quoted — KB =
 * 10^3 bytes, MB = 10^6, GB = 10^9; KiB/MiB/GiB are the binary 2^10/2^20/2^30; "bit" units are
 * divided by 8 (1.5Mbit/s = 187,500 bytes/s). "unlimited" means no cap.
 */

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  bit: 1 / 8,
  kbit: 1e3 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
};

/**
 * Parse a bandwidth such as '10MB/s', '500KB/s', '1.5Mbit/s', '2MiB/s', '800B/s' or 'unlimited'
 * into bytes per second (Infinity for 'unlimited').
 */
export function parseBandwidth(text: string): number {
  const s = text.trim();
  if (/^(unlimited|inf|infinity|none)$/i.test(s)) return Infinity;
  const m = /^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([a-z]+)\/s$/i.exec(s);
  const units = 'B/s, KB/s, MB/s, GB/s, KiB/s, MiB/s, GiB/s, bit/s, Kbit/s, Mbit/s, Gbit/s';
  if (!m) {
    throw new RangeError(`bandwidth "${text}" is not understood: write a number and a unit per second (${units}), e.g. "10MB/s", or "unlimited"`);
  }
  const unit = m[2];
  // "MB" (bytes) vs "Mb" (bits) is a classic confusion: accept only spelled-out "bit" for bits.
  const key = unit.toLowerCase();
  if (!(key in UNIT_BYTES) || /b$/.test(unit)) {
    throw new RangeError(`bandwidth "${text}": unknown unit "${unit}/s"; use one of ${units} (a lower-case "b" as in "Mb" is ambiguous: write MB/s or Mbit/s)`);
  }
  const value = Number(m[1]) * UNIT_BYTES[key];
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`bandwidth "${text}" must be a positive finite rate, or "unlimited"`);
  }
  return value;
}

/** Format bytes/s for logs, e.g. 10000000 → "10MB/s". */
export function formatBandwidth(bytesPerSec: number): string {
  if (!Number.isFinite(bytesPerSec)) return 'unlimited';
  for (const [unit, f] of [
    ['GB', 1e9],
    ['MB', 1e6],
    ['KB', 1e3],
  ] as const) {
    if (bytesPerSec >= f) return `${+(bytesPerSec / f).toPrecision(4)}${unit}/s`;
  }
  return `${+bytesPerSec.toPrecision(4)}B/s`;
}
