/**
 * The site's framing over TCP: [u32 header bytes][u32 body bytes][JSON header][body]. TCP (not IPC)
 * so a worker can sit in its own network namespace behind a shaped link, as on the testbed.
 */
import type { Socket } from 'node:net';

export interface Frame {
  readonly header: Record<string, unknown> & { readonly type: string };
  readonly body: Uint8Array;
}

/** Caps a frame so a corrupt length cannot make the reader buffer gigabytes. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export function encodeFrame(header: Frame['header'], body: Uint8Array = new Uint8Array(0)): Buffer {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(8 + h.length + body.byteLength);
  out.writeUInt32LE(h.length, 0);
  out.writeUInt32LE(body.byteLength, 4);
  h.copy(out, 8);
  Buffer.from(body.buffer, body.byteOffset, body.byteLength).copy(out, 8 + h.length);
  return out;
}

/** Calls `onFrame` for each complete frame arriving on `socket`; a malformed frame destroys the socket. */
export function readFrames(socket: Socket, onFrame: (f: Frame) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 8) {
      const hl = buf.readUInt32LE(0);
      const bl = buf.readUInt32LE(4);
      if (hl + bl > MAX_FRAME_BYTES) {
        socket.destroy(new Error(`site frame of ${hl + bl} bytes exceeds ${MAX_FRAME_BYTES}`));
        return;
      }
      if (buf.length < 8 + hl + bl) break;
      let header: Frame['header'];
      try {
        header = JSON.parse(buf.subarray(8, 8 + hl).toString('utf8')) as Frame['header'];
      } catch (err) {
        socket.destroy(new Error(`site frame header is not JSON: ${(err as Error).message}`));
        return;
      }
      // copy: the body outlives `buf`, and Float32Array views need 4-byte alignment
      const body = new Uint8Array(bl);
      body.set(buf.subarray(8 + hl, 8 + hl + bl));
      buf = buf.subarray(8 + hl + bl);
      onFrame({ header, body });
    }
  });
}

export const floatsOf = (body: Uint8Array): Float32Array => new Float32Array(body.buffer, body.byteOffset, body.byteLength >> 2);
export const bytesOf = (f: Float32Array): Uint8Array => new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
