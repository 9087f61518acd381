import type { Command } from 'commander';
import '../../env/atari/index.js';
import { listAtariGames, type AtariGameRow, type UnrecognisedRom } from '../../env/atari/listing.js';
import { ROM_DIR_ENV } from '../../env/atari/roms.js';
import { resolve } from 'node:path';

export type AtariListRow = AtariGameRow;

/** Which supported games have a ROM in `dir` (matched by md5), and which files matched no game. */
export function listAtariRoms(dir: string): { dir: string; games: AtariListRow[]; unrecognised: string[]; unrecognisedDetail: UnrecognisedRom[] } {
  const r = listAtariGames(dir);
  return { dir, games: r.games, unrecognised: r.unrecognised.map((u) => u.path), unrecognisedDetail: r.unrecognised };
}

/** `coknight atari list`: the supported Atari games, and with a ROM directory whether their ROMs were found. */
export function registerAtari(program: Command): void {
  const atari = program.command('atari').description('Atari 2600 games (Stella core with ALE rules; bring your own ROMs)');
  atari
    .command('list')
    .description(`list the supported games; with --rom-dir or $${ROM_DIR_ENV}, which ROMs were found there (by md5)`)
    .option('--rom-dir <dir>', `directory holding ROM images (default $${ROM_DIR_ENV})`)
    .option('--json', 'print the result as JSON')
    .action((opts: { romDir?: string; json?: boolean }) => {
      const given = opts.romDir ?? process.env[ROM_DIR_ENV];
      const dir = given ? resolve(given) : undefined;
      const result = listAtariGames(dir);
      if (opts.json) {
        console.log(JSON.stringify(result, null, 2));
        return;
      }
      const w = Math.max(...result.games.map((g) => g.env.length));
      if (dir === undefined) {
        console.log(`${result.games.length} supported Atari games (ROMs are not shipped; found by md5, any file name):`);
        for (const g of result.games) console.log(`  ${g.env.padEnd(w)}  ${g.name.padEnd(20)} md5 ${g.md5}`);
        console.log(
          `To use them, put your ROM images in a directory and pass --rom-dir DIR (romDir in code) or set ${ROM_DIR_ENV}=DIR; ` +
            '`coknight atari list --rom-dir DIR` then shows which were found.',
        );
        return;
      }
      const found = result.games.filter((g) => g.found).length;
      console.log(`ROM directory ${dir}: ${found} of ${result.games.length} supported games found`);
      for (const g of result.games) {
        const status = g.found ? `found  ${g.path}` : `missing (md5 ${g.md5})`;
        console.log(`  ${g.env.padEnd(w)}  ${g.name.padEnd(20)} ${status}`);
      }
      if (result.unrecognised.length > 0) {
        console.log(`${result.unrecognised.length} file(s) matched no supported game's md5:`);
        for (const u of result.unrecognised) console.log(`  ${u.path} (md5 ${u.md5}); closest titles: ${u.closest.map((c) => `atari/${c}`).join(', ')}`);
      }
    });
}
