import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { UploadBlock } from '../src/actor/upload-block.js';
import { UploadPusher } from '../src/transport/index.js';

/** A TCP port nobody listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('UploadBlock', () => {
  // A learner that ended its run takes no more uploads: ZeroMQ queues up to its high-water mark, then
  // send waits forever. An impala actor flushing then hung and never printed its final stats (testbed).
  it('cancel() ends a flush waiting on uploads to a learner that is gone', async () => {
    const pusher = UploadPusher.connect({ address: `tcp://127.0.0.1:${await deadPort()}`, actorId: 'a0', chunkBytes: 1024 });
    const block = new UploadBlock(1, 3, 'none'); // raw: constant frames would deflate to a single chunk
    try {
      // 64 KiB of observations in 1 KiB chunks: more than the socket's high-water mark of 16 messages
      for (let step = 0; step < 4; step++) await block.record(pusher, {}, { step, obs: new Uint8Array(16_384).fill(step) });
      let done = false;
      const flushed = block.flush(pusher, {}, true).then(() => (done = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(done).toBe(false);
      block.cancel();
      await flushed;
      expect(done).toBe(true);
      // once cancelled, later flushes return at once as well
      await block.record(pusher, {}, { step: 10, obs: new Uint8Array(16_384) });
      await block.flush(pusher, {}, true);
    } finally {
      pusher.close();
    }
  });
});
