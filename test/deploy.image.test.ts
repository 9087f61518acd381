/**
 * The container image (Dockerfile): linted by dockerfile-utils (the Docker language service's
 * validator; no Docker engine or hadolint here), the rules that matter checked on its parsed form,
 * and the exact commands it runs (entry point, default command, HEALTHCHECK) run from this checkout.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { LearnerService } from '../src/run/learner-service.js';
import { K8S_DIR, parseObjects } from './helpers/manifests.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freePort } from './helpers/wait.js';

const ROOT = join(__dirname, '..');
const TEXT = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(TEXT);
const all = dockerfile.getInstructions();
const stages = dockerfile.getFROMs();
/** Instructions of the last (runtime) stage. */
const runtime = all.filter((i) => i.getRange().start.line > stages[stages.length - 1].getRange().start.line);
const args = (i: Instruction): string[] => i.getArguments().map((a) => a.getValue());
/** An exec-form instruction's argv (`["node", "x"]`). */
const execForm = (i: Instruction): string[] => JSON.parse(i.getArgumentsContent()!.replace(/^CMD\s+/, '')) as string[];
/** What the image's /app is in this checkout. */
const fromRepo = (argv: string[]): string[] => argv.map((a) => a.replace(/^\/app\//, `${ROOT}/`));

describe('Dockerfile', () => {
  it('passes the linter with no diagnostics', () => {
    expect(validate(TEXT).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('is multi-stage on node:20-slim: build with dev dependencies, runtime with `npm ci --omit=dev` and no install scripts', () => {
    expect(dockerfile.getARGs().map(args)).toContainEqual(['NODE_IMAGE=node:20-slim']);
    expect(stages.map((f) => [f.getImageName(), f.getBuildStage()])).toEqual([
      ['${NODE_IMAGE}', 'build'],
      ['${NODE_IMAGE}', 'runtime'],
    ]);
    // The compiler runs on the build machine's platform; the runtime stage is the target's.
    expect(stages[0].getPlatformFlag()?.getValue()).toBe('$BUILDPLATFORM');
    const runs = runtime.filter((i) => i.getKeyword() === 'RUN').map((i) => args(i).join(' '));
    expect(runs.some((r) => /^npm ci --omit=dev .*--ignore-scripts/.test(r))).toBe(true);
    expect(runs.some((r) => /npm run build|tsc/.test(r))).toBe(false);
    const fromBuild = runtime.filter((i) => i.getKeyword() === 'COPY' && /--from=build/.test(i.getTextContent()));
    expect(fromBuild.map((i) => args(i))).toEqual([['/src/dist', './dist']]);
  });

  it('copies only files that exist, including the wasm cores; .dockerignore keeps secrets and node_modules out', () => {
    const copies = all.filter((i) => i.getKeyword() === 'COPY' && !/--from=/.test(i.getTextContent()));
    for (const c of copies) {
      for (const src of args(c).slice(0, -1)) {
        const plain = src.replace(/\/\*\.bin$/, '');
        expect(existsSync(join(ROOT, plain)), src).toBe(true);
      }
    }
    const sources = copies.flatMap((c) => args(c).slice(0, -1));
    expect(sources).toContain('packages/ale-wasm/wasm');
    expect(existsSync(join(ROOT, 'packages/ale-wasm/wasm/ale.wasm'))).toBe(true);
    expect(existsSync(join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'))).toBe(true);
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', '.git', 'deploy/k8s/overlays/*/secrets']) expect(ignore).toContain(p);
  });

  it('runs as a numeric non-root user, with a HEALTHCHECK and the CLI as entry point', () => {
    const user = runtime.filter((i) => i.getKeyword() === 'USER').map((i) => args(i)[0]);
    expect(user).toEqual(['1000:1000']);
    const kw = runtime.map((i) => i.getKeyword());
    expect(kw.indexOf('USER')).toBeLessThan(kw.indexOf('ENTRYPOINT'));
    expect(execForm(runtime.find((i) => i.getKeyword() === 'ENTRYPOINT')!)).toEqual(['node', '/app/bin/coknight.js']);
    expect(dockerfile.getHEALTHCHECKs()).toHaveLength(1);
    // The learner's ports, as the manifests and run.yaml use them.
    expect(runtime.filter((i) => i.getKeyword() === 'EXPOSE').flatMap(args)).toEqual(['8686', '9464']);
  });
});

describe('the commands the image runs, from this checkout', () => {
  const entry = fromRepo(execForm(runtime.find((i) => i.getKeyword() === 'ENTRYPOINT')!));
  const healthcheck = fromRepo(execForm(dockerfile.getHEALTHCHECKs()[0]));
  const run = (argv: string[], env: Record<string, string> = {}): ReturnType<typeof spawnSync> =>
    spawnSync(argv[0], argv.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });

  it('the default command (CMD) prints the help and exits 0', () => {
    const r = run([...entry, ...execForm(runtime.find((i) => i.getKeyword() === 'CMD')!)]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/learner .*\n(.*\n)*.*actor /);
  });

  it('every flag the manifests pass to `learner` and `actor` is one the command knows', () => {
    const objs = ['learner-deployment.yaml', 'actor-deployment.yaml'].flatMap((f) => parseObjects(readFileSync(join(K8S_DIR, 'base', f), 'utf8')));
    for (const o of objs) {
      const a = o.spec.template.spec.containers[0].args as string[];
      const help = run([...entry, a[0], '--help']).stdout as string;
      for (const flag of a.filter((x) => x.startsWith('--'))) expect(help, `${a[0]} ${flag}`).toContain(`${flag} `);
    }
  });

  /** Asynchronous: the learner under test lives in this process and must keep answering. */
  const probe = (env: Record<string, string>): Promise<{ status: number; stderr: string }> =>
    new Promise((resolve) => {
      execFile(healthcheck[0], healthcheck.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, timeout: 30_000 }, (err, _out, stderr) =>
        resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });

  describe('HEALTHCHECK', () => {
    let svc: LearnerService;
    beforeAll(async () => {
      await initBackend({ log: () => {} });
      const dir = mkdtempSync(join(tmpdir(), 'ck-health-'));
      const cfg = validateConfig({
        mode: 'seed',
        frames: 1e9,
        env: { id: 'minatar/breakout' },
        distributed: { listen: '127.0.0.1:0', metricsListen: '127.0.0.1:0', token: 'health-test' },
        run: { dir, progress: 'none', checkpointEverySeconds: 1e9 },
      });
      svc = await LearnerService.start(cfg, { runDir: dir, log: () => {} });
    });
    afterAll(async () => {
      await svc?.stop(null);
      svc?.dispose();
    });

    it('passes against a live learner, fails naming the URL when nothing answers, and passes for actors (none)', async () => {
      const ok = await probe({ COKNIGHT_HEALTH_URL: `http://${svc.metricsAddress}/metrics` });
      expect(ok.status, String(ok.stderr)).toBe(0);
      const port = await freePort();
      const down = await probe({ COKNIGHT_HEALTH_URL: `http://127.0.0.1:${port}/metrics` });
      expect(down.status).toBe(1);
      expect(down.stderr).toMatch(new RegExp(`unhealthy: http://127.0.0.1:${port}/metrics: .*ECONNREFUSED`));
      const missing = await probe({ COKNIGHT_HEALTH_URL: `http://${svc.metricsAddress}/nothing-here` });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/answered 404/);
      expect((await probe({ COKNIGHT_HEALTH_URL: 'none' })).status).toBe(0);
      expect((await probe({ COKNIGHT_HEALTH_URL: 'ftp://x' })).stderr).toMatch(/must be an http:\/\/ URL or 'none'/);
    });
  });
});
