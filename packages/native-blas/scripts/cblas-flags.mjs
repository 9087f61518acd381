// Compiler and linker flags for a CBLAS: $COKNIGHT_CBLAS_CFLAGS / $COKNIGHT_CBLAS_LIBS when set,
// else pkg-config's openblas (Debian: libopenblas-dev), else plain -lopenblas.
import { execFileSync } from 'node:child_process';

export function cblasFlags() {
  const env = { cflags: process.env.COKNIGHT_CBLAS_CFLAGS, libs: process.env.COKNIGHT_CBLAS_LIBS };
  if (env.cflags != null || env.libs != null) return { cflags: env.cflags ?? '', libs: env.libs ?? '-lopenblas', source: 'environment' };
  try {
    const run = (what) => execFileSync('pkg-config', [what, 'openblas'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { cflags: run('--cflags'), libs: run('--libs'), source: 'pkg-config openblas' };
  } catch {
    return { cflags: '', libs: '-lopenblas', source: 'default' };
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const f = cblasFlags();
  console.log(process.argv[2] === '--libs' ? f.libs : f.cflags);
}
