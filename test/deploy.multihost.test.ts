/**
 * The deployment on several hosts: the learner and two actors each in a network namespace of its own
 * (own address, shaped veth link), started with exactly the image's entry point and the args and env
 * of deploy/k8s (mount paths mapped to temp dirs, the Secrets made by make-secrets.sh, TLS on), finding
 * the learner by its Service name through per-namespace hosts files (/etc/netns/<ns>/hosts). The
 * learner crashes (SIGKILL) and its restart resumes from the checkpoint on the volume path while the
 * same actor processes reconnect; an actor with a wrong token is refused; everything is removed.
 * Needs root and iproute2 (skipped, with the reason, otherwise).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { probeHost, sh, shQuiet } from '../src/testbed/host.js';
import { netemAvailable, shapingCommands } from '../src/testbed/network.js';
import { K8S_DIR, MAKE_SECRETS, parseObjects } from './helpers/manifests.js';
import { until } from './helpers/wait.js';

const ROOT = join(__dirname, '..');
const why = probeHost().noNetns;
const TAG = `ckd${process.pid % 10000}`;
const NET = '169.254.93';
const BRIDGE = `${TAG}b`;
const HOST_IP = `${NET}.254`;
const LINK = { rate: '4MB/s', delayMs: 5, jitterMs: 0, lossPct: 0 };
/** name → [namespace, address]; the learner is found by its Service name. */
const HOSTS = { learner: [`${TAG}-learner`, `${NET}.1`], a0: [`${TAG}-a0`, `${NET}.10`], a1: [`${TAG}-a1`, `${NET}.11`] } as const;
const SERVICE = 'coknight-learner';

function addHost(ns: string, address: string, veth: string): void {
  sh('ip', 'netns', 'add', ns);
  sh('ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`);
  sh('ip', 'link', 'set', `${veth}p`, 'netns', ns);
  sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', `${veth}p`, 'name', 'eth0');
  sh('ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'up');
  sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  sh('ip', 'link', 'set', veth, 'master', BRIDGE);
  sh('ip', 'link', 'set', veth, 'up');
  const netem = netemAvailable();
  for (const c of shapingCommands('eth0', LINK, netem)) sh('ip', 'netns', 'exec', ns, ...c); // uplink
  for (const c of shapingCommands(veth, LINK, netem)) sh(...c); // downlink
  // Service discovery by name, as cluster DNS gives it: `ip netns exec` mounts these over /etc.
  mkdirSync(`/etc/netns/${ns}`, { recursive: true });
  writeFileSync(`/etc/netns/${ns}/hosts`, `127.0.0.1 localhost\n${HOSTS.learner[1]} ${SERVICE}\n`);
}

function leftovers(): string[] {
  const ns = sh('ip', 'netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`${TAG}-`));
  const links = sh('ip', '-o', 'link', 'show')
    .split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => n?.startsWith(TAG) === true);
  const etc = Object.values(HOSTS)
    .filter(([n]) => existsSync(`/etc/netns/${n}`))
    .map(([n]) => `/etc/netns/${n}`);
  return [...ns, ...links, ...etc];
}

function teardown(): void {
  for (const [ns] of Object.values(HOSTS)) {
    shQuiet('ip', 'netns', 'del', ns);
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
  for (const l of leftovers()) if (!l.startsWith('/')) shQuiet('ip', 'link', 'del', l);
}

/** A container of the manifests as a process here: argv (entry point + args) and env, mount paths mapped. */
interface Container {
  argv: string[];
  env: Record<string, string>;
}

function containerOf(file: string, podName: string, mounts: Record<string, string>): Container {
  const [o] = parseObjects(readFileSync(join(K8S_DIR, 'base', file), 'utf8'));
  const c = o.spec.template.spec.containers[0];
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOSTNAME: podName };
  for (const e of c.env as { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]) {
    if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = podName;
    else if (e.value !== undefined) env[e.name] = e.value;
    else throw new Error(`${file}: env ${e.name} comes from somewhere this test does not emulate`);
  }
  const map = (a: string): string => {
    const m = Object.keys(mounts).find((p) => a === p || a.startsWith(`${p}/`));
    return m ? mounts[m] + a.slice(m.length) : a;
  };
  // Kubernetes expands $(VAR) in args from the container's env.
  const args = (c.args as string[]).map((a) => map(a.replace(/\$\(([A-Z_]+)\)/g, (_, v: string) => env[v] ?? `$(${v})`)));
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const entry = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(dockerfile)![1]) as string[];
  return { argv: [...entry.map((a) => a.replace(/^\/app\//, `${ROOT}/`)), ...args], env };
}

interface Proc {
  child: ChildProcess;
  log: string;
  exit: Promise<number | null>;
}

function start(ns: string, c: Container): Proc {
  const child = spawn('ip', ['netns', 'exec', ns, 'env', '-i', ...Object.entries(c.env).map(([k, v]) => `${k}=${v}`), ...c.argv], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = { child, log: '', exit: new Promise((r) => child.on('exit', (code) => r(code))) };
  child.stdout!.on('data', (d: Buffer) => (p.log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (p.log += d.toString()));
  return p;
}

async function metrics(): Promise<string> {
  try {
    const r = await fetch(`http://${HOSTS.learner[1]}:9464/metrics`, { signal: AbortSignal.timeout(3000) });
    return r.ok ? await r.text() : '';
  } catch {
    return '';
  }
}
const gauge = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

describe.skipIf(why !== null)(`the manifests' commands on three hosts${why ? ` (skipped: ${why})` : ''}`, () => {
  const procs: Proc[] = [];
  afterAll(() => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    teardown();
  });

  it('learner restart with actors reconnecting, checkpoints on the volume, a wrong token refused, nothing left behind', { timeout: 360_000 }, async () => {
    teardown();
    sh('ip', 'link', 'add', BRIDGE, 'type', 'bridge');
    sh('ip', 'addr', 'add', `${HOST_IP}/24`, 'dev', BRIDGE);
    sh('ip', 'link', 'set', BRIDGE, 'up');
    addHost(...HOSTS.learner, `${TAG}l`);
    addHost(...HOSTS.a0, `${TAG}0`);
    addHost(...HOSTS.a1, `${TAG}1`);

    // The pods' mounts: the ConfigMap, the Secrets (actors get the CA certificate only) and the volume.
    const tmp = mkdtempSync(join(tmpdir(), 'ck-multihost-'));
    execFileSync('bash', [MAKE_SECRETS, join(tmp, 'secrets'), 'coknight'], { stdio: 'ignore' });
    for (const d of ['config', 'token', 'tls', 'actor-tls', 'data', 'bad-token']) mkdirSync(join(tmp, d), { recursive: true });
    cpSync(join(tmp, 'secrets', 'token'), join(tmp, 'token', 'token'));
    for (const f of ['tls.crt', 'tls.key', 'ca.crt']) cpSync(join(tmp, 'secrets', f), join(tmp, 'tls', f));
    cpSync(join(tmp, 'secrets', 'ca.crt'), join(tmp, 'actor-tls', 'ca.crt'));
    writeFileSync(join(tmp, 'bad-token', 'token'), 'not-the-token\n', { mode: 0o600 });
    const mounts = {
      '/etc/coknight': join(tmp, 'config'),
      '/var/run/secrets/coknight/token': join(tmp, 'token'),
      '/var/run/secrets/coknight/tls': join(tmp, 'tls'),
      '/data': join(tmp, 'data'),
    };
    // The ConfigMap's run.yaml, sized for a test: run until stopped, checkpoint every 2 s.
    const run = parse(readFileSync(join(K8S_DIR, 'base', 'run.yaml'), 'utf8')) as Record<string, any>;
    run.frames = 1e9;
    run.hyper = { unrollLength: 10, batchSize: 8 };
    run.run = { ...run.run, checkpointEverySeconds: 2, logEverySeconds: 1, progress: 'lines' };
    const text = JSON.stringify(run).replace(/\/var\/run\/secrets\/coknight\/tls/g, mounts['/var/run/secrets/coknight/tls']);
    writeFileSync(join(tmp, 'config', 'run.yaml'), text);

    const learnerC = containerOf('learner-deployment.yaml', 'coknight-learner-7d4b9', mounts);
    const actorC = (pod: string, tls = 'actor-tls', token = 'token'): Container =>
      containerOf('actor-deployment.yaml', pod, {
        ...mounts,
        '/var/run/secrets/coknight/tls': join(tmp, tls),
        '/var/run/secrets/coknight/token': join(tmp, token),
      });
    expect(learnerC.argv.join(' ')).not.toMatch(/--token |not-the-token/);

    const healthy = (): string => {
      const hc = /^HEALTHCHECK .* CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))![1];
      const argv = (JSON.parse(hc) as string[]).map((a) => a.replace(/^\/app\//, `${ROOT}/`));
      try {
        execFileSync('ip', ['netns', 'exec', HOSTS.learner[0], ...argv], { stdio: 'pipe' });
        return 'ok';
      } catch (e) {
        return String((e as { stderr?: Buffer }).stderr);
      }
    };

    let learner = start(HOSTS.learner[0], learnerC);
    procs.push(learner);
    await until(() => learner.log.includes('dashboard at') || learner.child.exitCode !== null, 120_000, 'the learner to serve', 200);
    expect(learner.child.exitCode, learner.log).toBe(null);
    expect(healthy()).toBe('ok');

    const actors = [start(HOSTS.a0[0], actorC('coknight-actor-a0')), start(HOSTS.a1[0], actorC('coknight-actor-a1'))];
    procs.push(...actors);
    const poll = async (cond: (t: string) => boolean, what: string): Promise<void> => {
      const t0 = Date.now();
      while (!cond(await metrics())) {
        if (Date.now() - t0 > 150_000)
          throw new Error(`timed out waiting for ${what}\n${learner.log.slice(-2000)}\n${actors.map((a) => a.log.slice(-1000)).join('\n')}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    await poll((t) => gauge(t, 'coknight_actors_connected') === 2 && gauge(t, 'coknight_frames_total') > 0, 'two actors training');
    const ckpt = join(tmp, 'data', 'run', 'checkpoint.ckpt');
    await until(() => existsSync(ckpt), 60_000, 'a checkpoint on the volume path');

    // An actor with a wrong token: refused at the first call, exits non-zero, never registered.
    const intruder = start(HOSTS.a1[0], actorC('coknight-actor-intruder', 'actor-tls', 'bad-token'));
    procs.push(intruder);
    expect(await intruder.exit).not.toBe(0);
    expect(intruder.log).toMatch(/UNAUTHENTICATED|bad token/i);
    expect(learner.log).not.toMatch(/coknight-actor-intruder joined/);

    // The learner crashes; the same command again resumes from the volume, the same actors reconnect.
    await new Promise((r) => setTimeout(r, 2500)); // at least one more checkpoint
    const before = actors.map((a) => a.log.length);
    const t0 = Date.now();
    learner.child.kill('SIGKILL');
    await learner.exit;
    learner = start(HOSTS.learner[0], learnerC);
    procs.push(learner);
    await until(() => /learner resumed at \d+ frames/.test(learner.log) || learner.child.exitCode !== null, 120_000, 'the learner to resume', 200);
    const resumedAt = Number(/learner resumed at (\d+) frames/.exec(learner.log)?.[1]);
    expect(resumedAt, learner.log).toBeGreaterThan(0);
    await poll((t) => gauge(t, 'coknight_actors_connected') === 2 && gauge(t, 'coknight_frames_total') > resumedAt, 'both actors back, training on');
    expect(healthy()).toBe('ok');
    console.log(`learner back and both actors reconnected ${((Date.now() - t0) / 1000).toFixed(1)} s after the crash`);
    actors.forEach((a, i) => {
      expect(a.child.exitCode, a.log).toBe(null); // the same process: it reconnected
      expect(a.log.slice(before[i])).toMatch(/link to learner: backoff/);
    });

    // SIGTERM (what Kubernetes sends): a final checkpoint and summary; the actors are told and exit 0.
    learner.child.kill('SIGTERM');
    expect(await learner.exit, learner.log.slice(-3000)).toBe(0);
    for (const a of actors) expect(await a.exit, a.log.slice(-2000)).toBe(0);
    const summary = JSON.parse(readFileSync(join(tmp, 'data', 'run', 'summary.json'), 'utf8')) as Record<string, any>;
    expect(summary.frames).toBeGreaterThan(resumedAt);
    const acc = summary.stepAccounting as Record<string, number>;
    expect(acc.served).toBe(acc.assembled + acc.pending + acc.dropped);
    expect(acc.assembled).toBe(acc.trained + acc.queued + acc.discarded);
    expect(readFileSync(join(tmp, 'data', 'run', 'config.json'), 'utf8')).not.toContain(readFileSync(join(tmp, 'token', 'token'), 'utf8').trim());

    teardown();
    expect(leftovers()).toEqual([]);
    rmSync(tmp, { recursive: true, force: true });
  });
});
