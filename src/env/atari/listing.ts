/** What `coknight atari list` shows, as data: the registered games and, given a directory, their ROMs there. */
import { allRomSettings } from './rom-settings.js';
import { closestGames, scanRomDir } from './roms.js';

export interface AtariGameRow {
  id: string;
  env: string;
  name: string;
  md5: string;
  /** Whether a file with this md5 is in the directory (false when no directory was given). */
  found: boolean;
  path: string | null;
}

export interface UnrecognisedRom {
  path: string;
  md5: string;
  /** Ids of the registered games whose names are closest to the file's name. */
  closest: string[];
}

/** Every registered game; with `dir`, also which have a ROM there (by md5) and which files match none. */
export function listAtariGames(dir?: string): { dir: string | null; games: AtariGameRow[]; unrecognised: UnrecognisedRom[] } {
  const files = dir === undefined ? [] : scanRomDir(dir);
  const byMd5 = new Map(files.map((f) => [f.md5, f.path]));
  const settings = allRomSettings();
  const games = settings.map((s) => {
    const path = byMd5.get(s.md5) ?? null;
    return { id: s.id, env: `atari/${s.id}`, name: s.name, md5: s.md5, found: path !== null, path };
  });
  const known = new Set(settings.map((s) => s.md5));
  const unrecognised = files
    .filter((f) => !known.has(f.md5))
    .map((f) => ({ path: f.path, md5: f.md5, closest: closestGames(f.path.split('/').pop() ?? f.path).map((s) => s.id) }));
  return { dir: dir ?? null, games, unrecognised };
}
