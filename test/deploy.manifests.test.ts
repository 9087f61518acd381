/**
 * deploy/k8s: the base and both overlays rendered by a real kustomize and checked against the
 * Kubernetes OpenAPI schemas and the deployment's own rules (probes, resources, Prometheus,
 * Secrets as files, never on a command line); broken overlays fail naming the field.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/load.js';
import {
  editYaml,
  findKustomize,
  K8S_DIR,
  k8sCopyWithSecrets,
  type K8sObject,
  manifestProblems,
  parseObjects,
  podSpecs,
  render,
  schemaProblems,
  secretLeaks,
} from './helpers/manifests.js';

const kustomize = findKustomize();
const find = (objs: K8sObject[], kind: string, name: string): K8sObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} missing from the rendered manifests`);
  return o;
};
const container = (o: K8sObject): any => o.spec.template.spec.containers[0];

describe('deploy/k8s/base, file by file (no kustomize needed)', () => {
  const base = join(K8S_DIR, 'base');
  const files = readdirSync(base).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && f !== 'run.yaml');

  it('every resource validates against its Kubernetes schema', () => {
    const objs = files.flatMap((f) => parseObjects(readFileSync(join(base, f), 'utf8')));
    expect(objs.map((o) => o.kind).sort()).toEqual(['Deployment', 'Deployment', 'PersistentVolumeClaim', 'Service']);
    expect(objs.flatMap(schemaProblems)).toEqual([]);
    expect(secretLeaks(objs)).toEqual([]);
  });

  it('the run config passes the run schema, and every overlay patch targets a base object', () => {
    const kz = parse(readFileSync(join(base, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect(kz.resources.sort()).toEqual(files.sort());
    const cfg = validateConfig(parse(readFileSync(join(base, 'run.yaml'), 'utf8')), 'base/run.yaml');
    expect(cfg.distributed.listen).toBe('0.0.0.0:8686');
    const baseObjs = files.flatMap((f) => parseObjects(readFileSync(join(base, f), 'utf8')));
    for (const overlay of ['local', 'edge']) {
      const dir = join(K8S_DIR, 'overlays', overlay);
      const ok = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { patches: { path: string }[] };
      for (const p of ok.patches) {
        const patch = parse(readFileSync(join(dir, p.path), 'utf8')) as K8sObject;
        expect(
          baseObjs.some((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name),
          `${overlay}/${p.path}`,
        ).toBe(true);
      }
    }
  });
});

describe.skipIf(kustomize === null)(
  `rendered overlays${kustomize ? ` (${kustomize.join(' ')})` : ' (skipped: neither kustomize nor kubectl is installed)'}`,
  () => {
    let root = '';
    const rendered: Record<string, K8sObject[]> = {};
    beforeAll(() => {
      root = k8sCopyWithSecrets();
      for (const o of ['local', 'edge']) rendered[o] = render(join(root, 'overlays', o), kustomize!);
    });

    it.each(['local', 'edge'])('%s: every object passes the schemas and the deployment rules', (o) => {
      const objs = rendered[o];
      expect(manifestProblems(objs)).toEqual([]);
      expect(objs.every((x) => x.kind === 'Namespace' || x.metadata.namespace === 'coknight')).toBe(true);
      const learner = find(objs, 'Deployment', 'coknight-learner');
      const run = parse(objs.find((x) => x.kind === 'ConfigMap')!.data['run.yaml'] as string) as { distributed: { metricsListen: string; listen: string } };
      const metricsPort = Number(run.distributed.metricsListen.split(':')[1]);
      const c = container(learner);
      // Probes and Prometheus on the learner's HTTP port (the one run.yaml serves /metrics on).
      const ports = Object.fromEntries((c.ports as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]));
      expect(ports).toEqual({ grpc: Number(run.distributed.listen.split(':')[1]), metrics: metricsPort });
      for (const probe of [c.readinessProbe, c.livenessProbe]) expect(probe.httpGet).toEqual({ path: '/metrics', port: 'metrics' });
      expect(learner.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metricsPort) });
      // Checkpoints on the claim, the run directory on that mount, one learner at a time.
      const runDir = c.args[c.args.indexOf('--run-dir') + 1] as string;
      const data = (c.volumeMounts as { name: string; mountPath: string }[]).find((m) => runDir.startsWith(m.mountPath + '/'))!;
      expect(learner.spec.template.spec.volumes.find((v: any) => v.name === data.name).persistentVolumeClaim.claimName).toBe('coknight-checkpoints');
      expect(learner.spec.strategy.type).toBe('Recreate');
      expect(find(objs, 'Service', 'coknight-learner').spec.clusterIP).toBe('None');
      for (const { owner, spec } of podSpecs(objs)) {
        expect(spec.securityContext.runAsNonRoot, owner.metadata.name).toBe(true);
        for (const k of spec.containers) expect(Object.keys(k.resources).sort(), owner.metadata.name).toEqual(['limits', 'requests']);
      }
      // Actors get the CA certificate only, never the learner's key.
      const actor = objs.find((x) => x.metadata.name === 'coknight-actor' && x.kind !== 'Service')!;
      const tls = actor.spec.template.spec.volumes.find((v: any) => v.secret?.secretName?.startsWith('coknight-tls'));
      expect(tls.secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
    });

    it("edge: one actor per edge node (DaemonSet, node selector, tolerations); its container is the base Deployment's", () => {
      const ds = find(rendered.edge, 'DaemonSet', 'coknight-actor');
      expect(rendered.edge.some((x) => x.kind === 'Deployment' && x.metadata.name === 'coknight-actor')).toBe(false);
      expect(ds.spec.template.spec.nodeSelector).toEqual({ 'node-role.kubernetes.io/edge': '' });
      expect(ds.spec.template.spec.tolerations.map((t: any) => t.key)).toContain('node-role.kubernetes.io/edge');
      const baseActor = find(parseObjects(readFileSync(join(K8S_DIR, 'base', 'actor-deployment.yaml'), 'utf8')), 'Deployment', 'coknight-actor');
      const strip = (c: any): unknown => ({ ...c, image: undefined });
      expect(strip(container(ds))).toEqual(strip(container(baseActor)));
      const aff = find(rendered.edge, 'Deployment', 'coknight-learner').spec.template.spec.affinity;
      expect(aff.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]).toMatchObject({
        operator: 'DoesNotExist',
      });
      expect(find(rendered.local, 'Deployment', 'coknight-actor').spec.replicas).toBe(2);
    });

    it('an overlay without the TLS Secret fails, naming the volume field', () => {
      editYaml(
        join(root, 'overlays', 'edge', 'kustomization.yaml'),
        (k) => (k.secretGenerator = k.secretGenerator.filter((s: any) => s.name !== 'coknight-tls')),
      );
      const problems = manifestProblems(render(join(root, 'overlays', 'edge'), kustomize!));
      expect(problems).toContain(
        'Deployment/coknight-learner: spec.template.spec.volumes[name=tls].secret.secretName: Secret "coknight-tls" is not in the manifests (generate it in the overlay: make-secrets.sh)',
      );
      expect(problems.some((p) => p.startsWith('DaemonSet/coknight-actor: spec.template.spec.volumes[name=tls-ca].secret.secretName'))).toBe(true);
    });

    it('an overlay whose secret files are missing fails in kustomize, naming the file', () => {
      const dir = join(root, 'overlays', 'local');
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        readFileSync(join(dir, 'kustomization.yaml'), 'utf8').replace('token=secrets/token', 'token=secrets/no-such-token'),
      );
      expect(() => render(dir, kustomize!)).toThrow(/no-such-token/);
    });

    it('a bad run config fails naming the field', () => {
      editYaml(join(root, 'base', 'run.yaml'), (r) => {
        r.hyper = { learningRate: -1 };
        r.distributed.envsPerActr = 4;
      });
      const problems = manifestProblems(render(join(root, 'overlays', 'edge'), kustomize!));
      expect(problems.join('\n')).toMatch(/hyper\.learningRate/);
      expect(problems.join('\n')).toMatch(/envsPerActr/);
    });

    it('a secret on a command line or in the environment is caught', () => {
      const objs = structuredClone(rendered.local);
      const actor = container(find(objs, 'Deployment', 'coknight-actor'));
      const token = Buffer.from(objs.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith('coknight-token'))!.data.token as string, 'base64')
        .toString()
        .trim();
      actor.args.push('--token', token);
      actor.env.push({ name: 'COKNIGHT_TOKEN', valueFrom: { secretKeyRef: { name: 'coknight-token', key: 'token' } } });
      const leaks = secretLeaks(objs);
      expect(leaks).toContain(
        'Deployment/coknight-actor: containers[name=actor].args[13]: "--token" puts a secret on the command line (use --token-file and files from a Secret volume)',
      );
      expect(leaks).toContain("Deployment/coknight-actor: containers[name=actor].args[14]: holds a Secret's value");
      expect(leaks).toContain(
        'Deployment/coknight-actor: containers[name=actor].env[name=COKNIGHT_TOKEN].valueFrom.secretKeyRef: a Secret in the environment (mount it as a file)',
      );
    });
  },
);
