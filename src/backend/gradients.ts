// tfjs-core's Node bundle (dist/tf-core.node.js, what `import '@tensorflow/tfjs-core'` loads)
// registers no gradients: they live only in its unbundled ES-module files, which Node refuses to
// load as they stand (the package is not "type": "module" and the imports lack extensions).
// The umbrella @tensorflow/tfjs package would register them, but the project uses tfjs-core alone.
// So: a tiny module hook that makes Node read tfjs-core/dist/**.js as ES modules and adds the
// missing ".js", then import dist/register_all_gradients.js once. The gradient functions run
// against the same engine and kernel registry (tfjs keeps both on globalThis).
import { register } from 'node:module';
import { getGradient } from '@tensorflow/tfjs-core';

const HOOKS = `
import { readFile } from 'node:fs/promises';
const CORE = '/@tensorflow/tfjs-core/dist/';
const isCoreEsm = (url) => url.includes(CORE) && !url.endsWith('/tf-core.node.js');
export async function resolve(specifier, context, next) {
  if (context.parentURL && isCoreEsm(context.parentURL) && specifier.startsWith('.') && !specifier.endsWith('.js')) {
    try { return await next(specifier + '.js', context); } catch { return next(specifier + '/index.js', context); }
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (isCoreEsm(url) && url.endsWith('.js')) {
    return { format: 'module', source: await readFile(new URL(url), 'utf8'), shortCircuit: true };
  }
  return next(url, context);
}
`;

let loading: Promise<void> | undefined;

/** Registers tfjs-core's gradient functions (idempotent; ≈1 s the first time). */
export function ensureGradients(): Promise<void> {
  if (getGradient('Conv2D') != null) return Promise.resolve();
  loading ??= (async () => {
    register('data:text/javascript,' + encodeURIComponent(HOOKS));
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js' as string);
    if (getGradient('Conv2D') == null) {
      throw new Error(
        'tfjs-core gradients did not register: is there more than one @tensorflow/tfjs-core in node_modules? Run `npm ls @tensorflow/tfjs-core` and dedupe.',
      );
    }
  })();
  return loading;
}
