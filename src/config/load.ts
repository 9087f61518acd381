import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type z } from 'zod';
import { presetsFor } from './presets.js';
import { configSchema, type RunConfig } from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A nested override, e.g. { hyper: { learningRate: 1e-3 } }, merged over the file's values. */
export type ConfigOverrides = Record<string, unknown>;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/** Sets a dotted path ("hyper.learningRate") in a nested object; used for --set key=value overrides. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}

/** "key=value" (`--set`, a topology's `train.set`): the value parsed as JSON where it parses (numbers, booleans, arrays), else a string. */
export function parseSetItem(item: string): [string, unknown] {
  const eq = item.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--set expects key=value (e.g. --set hyper.learningRate=0.001), got "${item}"`);
  const key = item.slice(0, eq);
  const raw = item.slice(eq + 1);
  try {
    return [key, JSON.parse(raw)];
  } catch {
    return [key, raw];
  }
}

/** Overrides from a list of key=value items, later items winning. */
export function overridesFromSets(items: readonly string[], into: ConfigOverrides = {}): ConfigOverrides {
  for (const item of items) setPath(into, ...parseSetItem(item));
  return into;
}

function formatIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((i) => {
    const path = i.path.length > 0 ? i.path.join('.') : '(top level)';
    return `  ${path}: ${i.message}`;
  });
  return `invalid configuration in ${source}:\n${lines.join('\n')}\nFix these fields (see configs/*.yaml for examples).`;
}

/** Validates a raw object against the schema; throws ConfigError naming every bad field. */
export function validateConfig(raw: unknown, source = 'config'): RunConfig {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, source));
  return parsed.data;
}

/** Reads and parses a YAML config file (a mapping), with errors naming the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc !== null && doc !== undefined && !isPlainObject(doc)) {
    throw new ConfigError(`config file ${path} must hold a YAML mapping at the top level`);
  }
  return (doc as Record<string, unknown>) ?? {};
}

/** A resolved config and, per dotted field, where its value came from. */
export interface ResolvedConfig {
  readonly config: RunConfig;
  readonly sources: Record<string, string>;
}

function leafPaths(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (isPlainObject(v) ? leafPaths(v, `${prefix}${k}.`) : v === undefined ? [] : [`${prefix}${k}`]));
}

/**
 * Layers, later over earlier: the schema's defaults, the env family's presets (config/presets.ts),
 * the YAML file, then command-line overrides. Validated once, naming every bad field.
 */
export function resolveConfig(path: string | undefined, overrides: ConfigOverrides = {}): ResolvedConfig {
  const file = path ? readConfigFile(path) : {};
  const envOf = (o: Record<string, unknown>): unknown => (isPlainObject(o.env) ? o.env.id : undefined);
  const envId = envOf(overrides) ?? envOf(file) ?? configSchema.shape.env.parse({}).id;
  const layers: [string, Record<string, unknown>][] = [
    ...(typeof envId === 'string' ? presetsFor(envId) : []).map((p): [string, Record<string, unknown>] => [p.name, p.values]),
    [path ? `file ${path}` : 'file', file],
    ['command line', overrides],
  ];
  let raw: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const [name, values] of layers) {
    raw = deepMerge(raw, values);
    for (const p of leafPaths(values)) sources[p] = name;
  }
  const source = path ? `${path} (with command-line overrides)` : 'command-line options';
  const config = validateConfig(raw, source);
  for (const p of leafPaths(config as unknown as Record<string, unknown>)) sources[p] ??= 'default';
  return { config, sources };
}

/** Loads an optional YAML file, merges overrides from the command line and validates the result. */
export function loadConfig(path: string | undefined, overrides: ConfigOverrides = {}): RunConfig {
  return resolveConfig(path, overrides).config;
}

/** The resolved config as YAML-like lines, each with its source (for `train --print-config`). */
export function describeConfig(r: ResolvedConfig): string {
  const lines: string[] = [];
  const walk = (obj: Record<string, unknown>, prefix: string, indent: string): void => {
    for (const [k, v] of Object.entries(obj)) {
      const path = `${prefix}${k}`;
      if (isPlainObject(v)) {
        lines.push(`${indent}${k}:`);
        walk(v, `${path}.`, `${indent}  `);
      } else if (v !== undefined) {
        const text = `${indent}${k}: ${JSON.stringify(v)}`;
        lines.push(`${text.padEnd(48)} # ${r.sources[path] ?? 'default'}`);
      }
    }
  };
  walk(r.config as unknown as Record<string, unknown>, '', '');
  return lines.join('\n');
}
