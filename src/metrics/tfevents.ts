import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '@aws-crypto/crc32c';
import protobuf from 'protobufjs';
import { AppendFile } from '../util/append-file.js';

/**
 * TensorBoard event files (`events.out.tfevents.<secs>.<host>`) with scalar summaries, written without
 * TensorFlow: each Event (tensorflow/core/util/event.proto; only the fields scalars need) is encoded
 * with protobufjs and framed as a TFRecord: uint64 length, masked CRC32C of the length, the bytes,
 * masked CRC32C of the bytes (all little-endian). `tensorboard --logdir runs/<dir>/tb` reads them.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    tensorflow: {
      nested: {
        Event: {
          fields: {
            wallTime: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            fileVersion: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: { Value: { fields: { tag: { type: 'string', id: 1 }, simpleValue: { type: 'float', id: 2 } } } },
        },
      },
    },
  },
});
const EventType = root.lookupType('tensorflow.Event');

/** The TFRecord checksum: CRC32C rotated right by 15 bits plus a constant. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data) >>> 0;
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord frame around `payload`. */
export function tfRecord(payload: Uint8Array): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(BigInt(payload.length), 0);
  head.writeUInt32LE(maskedCrc32c(head.subarray(0, 8)), 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(maskedCrc32c(payload), 0);
  return Buffer.concat([head, payload, tail]);
}

export class TfEventsWriter {
  readonly path: string;
  private failed = false;
  private readonly file: AppendFile;

  /** Creates `dir` and a new event file in it (one per process: a resumed run adds a file, as TensorFlow does). */
  constructor(
    readonly dir: string,
    private readonly onError: (msg: string) => void = () => {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}`);
    this.file = new AppendFile(this.path);
    this.writeEvent({ wallTime: Date.now() / 1000, fileVersion: 'brain.Event:2' });
  }

  /** Scalars at one step (frames, for Coknight): non-finite values are left out. */
  scalars(step: number, values: Record<string, number | undefined>, wallTime = Date.now() / 1000): void {
    const value = Object.entries(values)
      .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
      .map(([tag, simpleValue]) => ({ tag, simpleValue }));
    if (value.length > 0) this.writeEvent({ wallTime, step: Math.max(0, Math.round(step)), summary: { value } });
  }

  close(): void {
    this.file.close();
  }

  private writeEvent(event: Record<string, unknown>): void {
    if (this.failed) return;
    try {
      this.file.append(tfRecord(EventType.encode(EventType.fromObject(event)).finish()));
    } catch (e) {
      // TensorBoard logs are a convenience: a full disk must not end the run, say so once.
      this.failed = true;
      this.onError(`TensorBoard log ${this.path} not written: ${(e as Error).message}`);
    }
  }
}
