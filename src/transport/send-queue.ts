/** Small helpers the ZeroMQ channels share. */

/** Serialise async sends on one zeromq socket (v6 refuses concurrent sends). */
export class SendQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

export function countInto(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}
