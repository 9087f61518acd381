/**
 * The container's HEALTHCHECK: exit 0 when the learner's HTTP endpoint answers 200 within the
 * timeout, 1 otherwise. A standalone script (node:http only) rather than a `coknight` sub-command,
 * so that a probe every 30 s does not load the CLI, tfjs and the wasm cores.
 * URL: $COKNIGHT_HEALTH_URL (default http://127.0.0.1:9464/metrics); `none` passes at once (actors
 * serve no HTTP, and their process being alive is their health).
 */
import { get } from 'node:http';
import { pathToFileURL } from 'node:url';

export const DEFAULT_HEALTH_URL = 'http://127.0.0.1:9464/metrics';

/** Resolves with null when `url` answers 200 within `timeoutMs`, else with why not. */
export function probeHealth(url: string, timeoutMs = 4000): Promise<string | null> {
  if (url === 'none') return Promise.resolve(null);
  if (!/^http:\/\//.test(url)) return Promise.resolve(`COKNIGHT_HEALTH_URL must be an http:// URL or 'none', got "${url}"`);
  return new Promise((resolve) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? null : `${url} answered ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve(`${url}: ${e.message}`));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const why = await probeHealth(process.env.COKNIGHT_HEALTH_URL ?? DEFAULT_HEALTH_URL);
  if (why) console.error(`unhealthy: ${why}`);
  process.exit(why ? 1 : 0);
}
