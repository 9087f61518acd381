import { closeSync, openSync, writeSync } from 'node:fs';

// Closes a descriptor whose AppendFile was collected without close() (a recorder nobody closed).
const orphans = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
});

/**
 * An append-only file kept open: one write(2) per record. appendFileSync opens, writes and closes
 * each time; at ~100 episodes a second that was 6% of a seed-mode learner's main thread. Each
 * record still reaches the kernel before append returns, so a killed process loses nothing.
 */
export class AppendFile {
  private fd: number | null = null;

  constructor(readonly path: string) {}

  append(data: string | Uint8Array): void {
    if (this.fd === null) {
      this.fd = openSync(this.path, 'a');
      orphans.register(this, this.fd, this);
    }
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length;) off += writeSync(this.fd, buf, off);
  }

  /** Closes the descriptor; a later append opens the path again (needed after the file was replaced). */
  close(): void {
    if (this.fd === null) return;
    orphans.unregister(this);
    closeSync(this.fd);
    this.fd = null;
  }
}
