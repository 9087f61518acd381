/**
 * The deployment's Kubernetes manifests as tests see them: overlays rendered by a real kustomize
 * (`kustomize build`, else `kubectl kustomize`), every object checked against the Kubernetes OpenAPI
 * schemas (kubernetes-models), and the project's own rules: every Secret and ConfigMap a pod mounts is
 * in the output, the run config in the ConfigMap passes the run schema, and no secret is on a command
 * line or in the environment. Each problem names the object and the field.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as apps from 'kubernetes-models/apps/v1';
import * as core from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';
import { validateConfig } from '../../src/config/load.js';

export const K8S_DIR = join(__dirname, '..', '..', 'deploy', 'k8s');
export const MAKE_SECRETS = join(K8S_DIR, 'make-secrets.sh');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  [k: string]: any;
}

/** The kustomize this machine has: [command, ...args before the directory], or null. */
export function findKustomize(): string[] | null {
  for (const cmd of [
    ['kustomize', 'build'],
    ['kubectl', 'kustomize'],
  ]) {
    try {
      execFileSync(cmd[0], [cmd[1], '--help'], { stdio: 'ignore' });
      return cmd;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** Renders a kustomization directory with a real kustomize; throws with kustomize's message. */
export function render(dir: string, kustomize: string[]): K8sObject[] {
  try {
    return parseObjects(execFileSync(kustomize[0], [...kustomize.slice(1), dir], { stdio: ['ignore', 'pipe', 'pipe'] }).toString());
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`kustomize ${dir}: ${err.stderr?.toString().trim() || err.message}`, { cause: e });
  }
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/**
 * A copy of deploy/k8s in a temp dir with secret material made by make-secrets.sh in every
 * overlay (the files its secretGenerators read). Returns the copy's root.
 */
export function k8sCopyWithSecrets(): string {
  const root = mkdtempSync(join(tmpdir(), 'ck-k8s-'));
  cpSync(K8S_DIR, root, { recursive: true, filter: (src) => !/[\\/]secrets$/.test(src) });
  for (const o of readdirSync(join(root, 'overlays')))
    execFileSync('bash', [MAKE_SECRETS, join(root, 'overlays', o, 'secrets'), 'coknight'], { stdio: 'ignore' });
  return root;
}

/** Edits a YAML file of the copy in place. */
export function editYaml(path: string, edit: (doc: any) => void): void {
  const doc = parse(readFileSync(path, 'utf8')) as unknown;
  edit(doc);
  writeFileSync(path, JSON.stringify(doc, null, 2)); // JSON is YAML
}

type ModelClass = new (data: unknown) => { validate(): void };

/** The API groups the deployment uses. */
const GROUPS: Record<string, Record<string, unknown>> = { v1: core, 'apps/v1': apps };

function modelFor(o: K8sObject): ModelClass | undefined {
  return GROUPS[o.apiVersion]?.[o.kind] as ModelClass | undefined;
}

export function describe(o: K8sObject): string {
  return `${o.kind}/${o.metadata?.name ?? '?'}`;
}

/** Schema problems of one object against the Kubernetes OpenAPI schema of its kind. */
export function schemaProblems(o: K8sObject): string[] {
  const Model = modelFor(o);
  if (!Model) return [`${describe(o)}: no schema for ${o.apiVersion} ${o.kind}`];
  // kustomize wraps a Secret's base64 at 70 columns; the API server's decoder skips the newlines.
  const data =
    o.kind === 'Secret' && o.data
      ? Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')]))
      : undefined;
  try {
    new Model(data ? { ...o, data } : o).validate();
    return [];
  } catch (e) {
    const details = (e as { errors?: { instancePath: string; message: string; params?: Record<string, unknown> }[] }).errors;
    if (!details) return [`${describe(o)}: ${(e as Error).message}`];
    return details.map(
      (d) =>
        `${describe(o)}: ${d.instancePath.slice(1).replace(/\//g, '.') || '(root)'} ${d.message}${d.params?.missingProperty ? ` (${String(d.params.missingProperty)})` : ''}`,
    );
  }
}

export interface PodOwner {
  owner: K8sObject;
  spec: any;
}

export function podSpecs(objs: K8sObject[]): PodOwner[] {
  return objs
    .filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet', 'Job'].includes(o.kind))
    .map((owner) => ({ owner, spec: owner.spec?.template?.spec ?? {} }));
}

/** Secrets/ConfigMaps pods mount or read that the output lacks, and containers mounting volumes that do not exist. */
export function referenceProblems(objs: K8sObject[]): string[] {
  const have = new Set(objs.map((o) => `${o.kind}/${o.metadata.name}`));
  const out: string[] = [];
  for (const { owner, spec } of podSpecs(objs)) {
    const where = `${describe(owner)}: spec.template.spec`;
    const volumes = (spec.volumes ?? []) as any[];
    for (const v of volumes) {
      if (v.secret && !have.has(`Secret/${v.secret.secretName}`)) {
        out.push(
          `${where}.volumes[name=${v.name}].secret.secretName: Secret "${v.secret.secretName}" is not in the manifests (generate it in the overlay: make-secrets.sh)`,
        );
      }
      if (v.configMap && !have.has(`ConfigMap/${v.configMap.name}`)) {
        out.push(`${where}.volumes[name=${v.name}].configMap.name: ConfigMap "${v.configMap.name}" is not in the manifests`);
      }
      const claim = v.persistentVolumeClaim?.claimName as string | undefined;
      if (claim && !have.has(`PersistentVolumeClaim/${claim}`))
        out.push(`${where}.volumes[name=${v.name}].persistentVolumeClaim.claimName: "${claim}" is not in the manifests`);
    }
    for (const c of (spec.containers ?? []) as any[]) {
      for (const m of (c.volumeMounts ?? []) as any[]) {
        if (!volumes.some((v) => v.name === m.name)) out.push(`${where}.containers[name=${c.name}].volumeMounts[name=${m.name}]: no volume of that name`);
      }
    }
  }
  return out;
}

/** The run config carried by each ConfigMap with a run.yaml, checked by the run schema (names the field). */
export function runConfigProblems(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const cm of objs.filter((o) => o.kind === 'ConfigMap' && typeof o.data?.['run.yaml'] === 'string')) {
    try {
      validateConfig(parse(cm.data['run.yaml'] as string), `${describe(cm)} data.run.yaml`);
    } catch (e) {
      out.push((e as Error).message);
    }
  }
  return out;
}

const SECRET_FLAG = /^--(token|tls-key|secret|password)(=|$)/;

/**
 * Secrets on a command line or in the environment: a `--token`-like flag, a Secret's value anywhere
 * in command/args/env, or an env var filled from a Secret (env dumps and `ps` show both).
 */
export function secretLeaks(objs: K8sObject[]): string[] {
  const values = objs
    .filter((o) => o.kind === 'Secret')
    .flatMap((s) => [
      ...Object.values((s.data ?? {}) as Record<string, string>).map((v) => Buffer.from(v, 'base64').toString('utf8').trim()),
      ...Object.values((s.stringData ?? {}) as Record<string, string>),
    ])
    .filter((v) => v.length >= 8);
  const out: string[] = [];
  for (const { owner, spec } of podSpecs(objs)) {
    for (const c of [...((spec.initContainers ?? []) as any[]), ...((spec.containers ?? []) as any[])]) {
      const where = `${describe(owner)}: containers[name=${c.name}]`;
      const argv = [...((c.command ?? []) as string[]), ...((c.args ?? []) as string[])];
      argv.forEach((a, i) => {
        if (SECRET_FLAG.test(a)) out.push(`${where}.args[${i}]: "${a}" puts a secret on the command line (use --token-file and files from a Secret volume)`);
        if (values.some((v) => a.includes(v))) out.push(`${where}.args[${i}]: holds a Secret's value`);
      });
      for (const e of (c.env ?? []) as any[]) {
        if (e.valueFrom?.secretKeyRef) out.push(`${where}.env[name=${e.name}].valueFrom.secretKeyRef: a Secret in the environment (mount it as a file)`);
        if (/TOKEN|SECRET|PASSWORD|KEY/i.test(e.name as string)) out.push(`${where}.env[name=${e.name}]: a secret-looking variable in the environment`);
        if (typeof e.value === 'string' && values.some((v) => (e.value as string).includes(v)))
          out.push(`${where}.env[name=${e.name}].value: holds a Secret's value`);
      }
      if (((c.envFrom ?? []) as any[]).some((e) => e.secretRef)) out.push(`${where}.envFrom: a Secret in the environment (mount it as a file)`);
    }
  }
  return out;
}

/** Everything above, for a rendered overlay. */
export function manifestProblems(objs: K8sObject[]): string[] {
  const schema = objs.flatMap(schemaProblems);
  return [...schema, ...referenceProblems(objs), ...runConfigProblems(objs), ...secretLeaks(objs)];
}
