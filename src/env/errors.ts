/** Errors raised for bad input to environments; each message says what was wrong and what is allowed. */
export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

export function checkAction(envId: string, action: number, numActions: number, names: readonly string[]): void {
  if (!Number.isInteger(action) || action < 0 || action >= numActions) {
    const allowed = names.map((n, i) => `${i}=${n}`).join(', ');
    throw new EnvError(`${envId}: action ${String(action)} is out of range; allowed actions are integers 0..${numActions - 1} (${allowed})`);
  }
}
