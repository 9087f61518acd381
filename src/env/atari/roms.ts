/**
 * Finding ROM images. No ROM ships with this repository: users point `--rom-dir` (or the
 * COKNIGHT_ROM_DIR environment variable) at a directory of their own ROMs, and each game is found by
 * the md5 of its image, whatever the file is called.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EnvError } from '../errors.js';
import { allRomSettings, romSettingsByMd5, type RomSettings } from './rom-settings.js';

export const ROM_DIR_ENV = 'COKNIGHT_ROM_DIR';
/** The largest cartridge images are 512 KiB; anything bigger is not a 2600 ROM. */
const MAX_ROM_BYTES = 1 << 20;

export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** The ROM directory: the explicit one, else $COKNIGHT_ROM_DIR; throws naming both when neither is set. */
export function resolveRomDir(romDir: string | undefined, what: string): string {
  const dir = romDir ?? process.env[ROM_DIR_ENV];
  if (!dir) {
    throw new EnvError(
      `${what}: no ROM directory given. Atari ROMs are not shipped; pass --rom-dir DIR (romDir in code) ` +
        `or set ${ROM_DIR_ENV}=DIR to a directory holding your ROM images (found by md5, any file name).`,
    );
  }
  return resolve(dir);
}

export interface RomFile {
  readonly path: string;
  readonly md5: string;
  readonly size: number;
}

const md5Cache = new Map<string, { mtimeMs: number; size: number; md5: string }>();

/** Every regular file up to 1 MiB directly in `dir`, with its md5 (cached by path, size and mtime). */
export function scanRomDir(dir: string): RomFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new EnvError(`cannot read the ROM directory ${dir}: ${(err as Error).message}`);
  }
  const files: RomFile[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    let st;
    try {
      st = statSync(path);
    } catch {
      continue;
    }
    if (!st.isFile() || st.size === 0 || st.size > MAX_ROM_BYTES) continue;
    const cached = md5Cache.get(path);
    let md5: string;
    if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) {
      md5 = cached.md5;
    } else {
      md5 = md5Hex(readFileSync(path));
      md5Cache.set(path, { mtimeMs: st.mtimeMs, size: st.size, md5 });
    }
    files.push({ path, md5, size: st.size });
  }
  return files;
}

/**
 * Image sizes the 2600 cartridge formats come in (Stella's and ALE's Cartridge::create): 2K to 512K
 * powers of two, 12K (FA), 24K/28K/29K (FA2), 10K/10,495 bytes (DPC with its display data) and
 * multiples of 8,448 bytes (Supercharger loads).
 */
const SIZES = new Set([2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 12288, 24576, 28672, 29696, 10240, 10495, 10496]);
const MAGIC: readonly [string, number[]][] = [
  ['a ZIP archive (unpack it first)', [0x50, 0x4b, 0x03, 0x04]],
  ['a gzip file (unpack it first)', [0x1f, 0x8b]],
  ['a 7-Zip archive (unpack it first)', [0x37, 0x7a, 0xbc, 0xaf]],
  ['a RAR archive (unpack it first)', [0x52, 0x61, 0x72, 0x21]],
  ['an ELF executable', [0x7f, 0x45, 0x4c, 0x46]],
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a PDF document', [0x25, 0x50, 0x44, 0x46]],
  ['an NES ROM (iNES)', [0x4e, 0x45, 0x53, 0x1a]],
  ['an HTML page (a failed download?)', [0x3c, 0x21]],
  ['an HTML page (a failed download?)', [0x3c, 0x68, 0x74, 0x6d, 0x6c]],
];

/**
 * Refuses, before any emulator starts, a file that cannot be a 2600 cartridge image: a known other
 * format, an impossible size (a truncated download), or a reset vector outside cartridge space
 * (the 6507 starts at the address in the image's last-but-two bytes, which must have A12 set).
 * `what` names the file in the message.
 */
export function checkRomImage(bytes: Uint8Array, what: string): void {
  for (const [kind, magic] of MAGIC) {
    if (bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)) {
      throw new EnvError(`${what} is ${kind}, not an Atari 2600 ROM image (a raw .bin/.a26 cartridge dump)`);
    }
  }
  const sizeOk = SIZES.has(bytes.length) || (bytes.length > 0 && bytes.length % 8448 === 0 && bytes.length <= 8448 * 8);
  if (!sizeOk) {
    const bigger = [...SIZES].filter((n) => n > bytes.length).sort((a, b) => a - b)[0];
    throw new EnvError(
      `${what} has ${bytes.length} bytes, which no Atari 2600 cartridge has (2K, 4K, 8K, 12K, 16K, 32K, 64K ... 512K, ` +
        `10,495 for DPC, multiples of 8,448 for Supercharger)` +
        (bigger && bytes.length > 0 ? `; it looks truncated (the next valid size is ${bigger}): copy the file again` : ''),
    );
  }
  if (bytes.length % 8448 !== 0 && bytes.length !== 10495 && bytes.length !== 10496 && bytes.length !== 10240) {
    const end = bytes.length;
    const reset = bytes[end - 4]! | (bytes[end - 3]! << 8);
    if ((reset & 0x1000) === 0) {
      throw new EnvError(
        `${what}: its reset vector ($${reset.toString(16).padStart(4, '0')}, the image's bytes ${end - 4}-${end - 3}) points outside ` +
          'cartridge space ($1000-$1FFF and mirrors), so this is not an Atari 2600 ROM image (or it is corrupt)',
      );
    }
  }
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

const norm = (s: string): string =>
  s
    .toLowerCase()
    .replace(/\.(bin|a26|rom)$/, '')
    .replace(/[^a-z0-9]/g, '');

/** The `n` registered games whose id or title is closest to `query` (a file name or a title), nearest first. */
export function closestGames(query: string, n = 3): RomSettings[] {
  const q = norm(query);
  const score = (s: RomSettings): number => {
    const cands = [norm(s.id), norm(s.name)];
    let best = Infinity;
    for (const c of cands) {
      const sub = c.length > 0 && (q.includes(c) || c.includes(q)) ? Math.abs(c.length - q.length) * 0.1 : Infinity;
      best = Math.min(best, sub, editDistance(q, c));
    }
    return best;
  };
  return allRomSettings()
    .map((s) => ({ s, d: score(s) }))
    .sort((a, b) => a.d - b.d || a.s.id.localeCompare(b.s.id))
    .slice(0, n)
    .map((x) => x.s);
}

/**
 * Reads and identifies one ROM file by md5. A file that is not a 2600 image is refused (checkRomImage);
 * one whose md5 matches no registered game is an error naming the file, its md5 and the closest titles.
 */
export function identifyRomFile(path: string): { path: string; bytes: Uint8Array; settings: RomSettings } {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new EnvError(`cannot read the ROM file ${path}: ${(err as Error).message}`);
  }
  if (bytes.length > MAX_ROM_BYTES) throw new EnvError(`ROM file ${path} has ${bytes.length} bytes; Atari 2600 images are at most 512 KiB`);
  checkRomImage(bytes, `ROM file ${path}`);
  const md5 = md5Hex(bytes);
  const settings = romSettingsByMd5(md5);
  if (!settings) {
    const near = closestGames(basename(path));
    throw new EnvError(
      `ROM file ${path} (md5 ${md5}) is no game Coknight knows: no registered RomSettings has that md5. ` +
        `Closest titles: ${near.map((s) => `${s.name} (atari/${s.id}, md5 ${s.md5})`).join('; ')}. ` +
        'ALE supports one dump per game: use that image, or register rules for yours with registerRomSettings.',
    );
  }
  return { path, bytes, settings };
}

/** The file in `dir` whose md5 is the game's, or undefined. */
export function findRomFile(settings: RomSettings, dir: string): RomFile | undefined {
  return scanRomDir(dir).find((f) => f.md5 === settings.md5);
}

/** Reads the game's ROM from `dir`; the error names the game, the md5 it needs and where it looked. */
export function loadRom(settings: RomSettings, dir: string): { path: string; bytes: Uint8Array } {
  const files = scanRomDir(dir);
  const hit = files.find((f) => f.md5 === settings.md5);
  if (hit) {
    const bytes = new Uint8Array(readFileSync(hit.path));
    if (md5Hex(bytes) !== settings.md5) throw new EnvError(`ROM ${hit.path} changed while it was being read; try again`);
    checkRomImage(bytes, `ROM file ${hit.path} (atari/${settings.id})`);
    return { path: hit.path, bytes };
  }
  const sameName = files.find((f) => basename(f.path).toLowerCase().startsWith(`${settings.id}.`));
  let nameHint = '';
  if (sameName) {
    const other = romSettingsByMd5(sameName.md5);
    let why = '';
    try {
      checkRomImage(new Uint8Array(readFileSync(sameName.path)), sameName.path);
    } catch (err) {
      why = ` (${(err as Error).message})`;
    }
    nameHint =
      ` ${sameName.path} has md5 ${sameName.md5}, which is not the ${settings.name} image ALE supports` +
      (other ? `: it is ${other.name} (atari/${other.id})` : '') +
      `${why}.`;
  }
  throw new EnvError(
    `atari/${settings.id}: no ROM of ${settings.name} found: need a file with md5 ${settings.md5} ` +
      `(ALE's ${settings.id}.bin) in ${dir} (looked at ${files.length} file${files.length === 1 ? '' : 's'}).${nameHint} ` +
      `Put the ROM there or point --rom-dir / ${ROM_DIR_ENV} at the directory that has it.`,
  );
}
