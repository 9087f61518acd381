/** The shared token from a file: kept apart from the learner so that an actor process can read it without loading the learner. */
import { readFileSync, statSync } from 'node:fs';

/**
 * A token from a file (`--token-file`, a mounted Kubernetes Secret): its first line, surrounding
 * whitespace trimmed. Keeps the token out of `ps` and shell history. Warns (through `warn`) when the
 * file is readable by group or others; throws, naming the file, when it is missing or empty.
 */
export function readTokenFile(path: string, warn: (msg: string) => void = (m) => console.error(m)): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the token file ${path}: ${(e as Error).message}`, { cause: e });
  }
  const token = (text.split(/\r?\n/, 1)[0] ?? '').trim();
  if (token.length === 0) throw new Error(`token file ${path} is empty: write the shared token on its first line`);
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) warn(`token file ${path} has mode ${mode.toString(8).padStart(4, '0')}: others on this machine can read it (chmod 600 ${path})`);
  return token;
}
