import { InvalidArgumentError } from 'commander';

/** Commander parser for an integer flag with a lower bound; the error names the flag. */
export function parseIntArg(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} must be an integer >= ${min}, got "${value}"`);
    }
    return n;
  };
}

/** Commander parser for a number flag with a lower bound (accepts 5e6 style). */
export function parseNumberArg(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) {
      throw new InvalidArgumentError(`${flag} must be a number >= ${min}, got "${value}"`);
    }
    return n;
  };
}

/** Commander parser for a duration in seconds: '90s', '10m', '1h', '1.5m' or a bare number of seconds. */
export function parseDurationArg(flag: string) {
  return (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(value.trim());
    if (!m || Number(m[1]) <= 0) throw new InvalidArgumentError(`${flag} must be a positive duration such as 90s, 10m or 1h, got "${value}"`);
    return Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as const)[(m[2] ?? 's') as 's' | 'm' | 'h'];
  };
}
