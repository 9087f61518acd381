/**
 * Starts a worker thread on a module next to the caller. Compiled code (dist/) runs the sibling .js;
 * source run through tsx or vitest (a .ts caller) runs the sibling .ts through tsx's ESM API, since
 * neither tsx's --import loader nor vitest's transform reaches a worker thread's entry module.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `callerUrl`: the caller's import.meta.url; `stem`: the module's file name without extension. */
export function startModuleWorker(callerUrl: string, stem: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${stem}.js`, callerUrl), options);
  const entry = new URL(`./${stem}.ts`, callerUrl).href;
  const pkg = createRequire(callerUrl).resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports;
  const api = pathToFileURL(join(dirname(pkg), exports['./esm/api'].import.default)).href;
  const boot = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), options);
}
