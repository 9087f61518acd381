// Builds the addon with node-gyp when a CBLAS is found; otherwise prints one line saying why and
// exits 0, so that `npm ci` never fails for want of a BLAS (Coknight then trains on plain wasm).
// `--strict` makes a failed build an error (CI uses it where the BLAS is known to be installed).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cblasFlags } from './cblas-flags.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');
const skip = (why) => {
  console.error(`native-blas: not built (${why}); training uses the wasm kernels. ${strict ? '' : 'See packages/native-blas/README.md.'}`);
  process.exit(strict ? 1 : 0);
};

if (process.env.COKNIGHT_NATIVE === '0') skip('COKNIGHT_NATIVE=0');
const flags = cblasFlags();
const cc = process.env.CXX ?? 'c++';
try {
  // Does cblas.h compile and does the library link? One tiny program answers both.
  execFileSync('sh', ['-c', `printf '#include <cblas.h>\\nint main(){float a=1,c=0;cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,1,1,1,1,&a,1,&a,1,0,&c,1);return c!=1;}' | ${cc} -x c++ ${flags.cflags} - -o /dev/null ${flags.libs}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
} catch {
  skip(`no CBLAS found with ${flags.source} flags "${flags.cflags} ${flags.libs}"; on Debian/Ubuntu: apt-get install libopenblas-dev`);
}

// node-gyp: npm's own copy (npm sets npm_config_node_gyp in scripts), else the one beside node.
const gyp = [process.env.npm_config_node_gyp, path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')].find(
  (p) => p != null && existsSync(p),
);
if (gyp == null) skip('node-gyp not found (it ships with npm)');
// Headers of the running node, so node-gyp needs no download: <prefix>/include/node.
const prefix = path.resolve(path.dirname(process.execPath), '..');
const args = [gyp, 'rebuild', '--release'];
if (existsSync(path.join(prefix, 'include/node/node_api.h'))) args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
if (r.status !== 0) {
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error/i.test(l));
  skip(`node-gyp failed: ${lines.slice(0, 3).join(' | ') || `exit ${r.status}`}`);
}
console.error(`native-blas: built build/Release/coknight_native_blas.node (${flags.source}: ${flags.libs})`);
