/** Integration tests with real ZeroMQ sockets on loopback (tcp, random free ports). */
import * as zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../src/util/rng.js';
import { LinkStats, Pacer } from '../src/transport/pacer.js';
import { encode, type ParamUpdate } from '../src/transport/wire/index.js';
import { chunkLayout, ParamPublisher, ParamSubscriber, paramTopic, UploadPuller, UploadPusher } from '../src/transport/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function blob(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

/** PUB/SUB joins late (the "slow joiner"): publish a probe until the subscriber has it. */
async function untilSubscribed(pub: ParamPublisher, sub: ParamSubscriber, topic: string): Promise<void> {
  for (let i = 0; i < 200 && sub.version(topic) < 0; i++) {
    await pub.publish(topic, 0, []);
    await sleep(10);
  }
  expect(sub.version(topic)).toBe(0);
}

describe('parameter PUB/SUB', () => {
  it('delivers versioned per-layer blobs; keeps the newest, drops stale and foreign topics', async () => {
    const pub = await ParamPublisher.bind({ address: 'tcp://127.0.0.1:*' });
    cleanups.push(() => pub.close());
    const head = paramTopic(1, 2);
    const updates: number[] = [];
    const stats = new LinkStats();
    const sub = ParamSubscriber.connect({ address: pub.endpoint, topics: [head], stats, onUpdate: (_t, u) => updates.push(u.version) });
    cleanups.push(() => sub.close());
    await untilSubscribed(pub, sub, head);

    const l1 = blob(1000, 1);
    const l2 = blob(2_000_000, 2); // a 2 MB layer
    await pub.publish(head, 5, [
      { index: 1, data: l1 },
      { index: 2, data: l2 },
    ]);
    await pub.publish(head, 3, [{ index: 1, data: l1 }]); // stale: older than 5
    await pub.publish(head, 5, [{ index: 1, data: l1 }]); // stale: same version
    // "params/1-20" starts with "params/1-2": ZeroMQ's prefix filter lets it through, the exact check drops it.
    await pub.publish(paramTopic(1, 20), 99, []);
    await pub.publish(paramTopic(1, 4), 100, []); // not subscribed at all
    const got: ParamUpdate = await sub.waitForVersion(head, 5, 5000);
    await pub.publish(head, 6, [{ index: 1, data: l1 }]);
    await sub.waitForVersion(head, 6, 5000);

    expect(got.layers.map((l) => l.index)).toEqual([1, 2]);
    expect(Buffer.from(got.layers[1].data).equals(Buffer.from(l2))).toBe(true);
    expect(updates).toEqual([0, 5, 6]);
    expect(sub.counters.stale).toBe(2);
    expect(sub.counters.rejected.WRONG_TOPIC).toBe(1);
    expect(sub.version(head)).toBe(6);
    // take() hands out each version once.
    expect(sub.take(head)?.version).toBe(6);
    expect(sub.take(head)).toBeUndefined();
    // Bytes counted on both ends of the params channel.
    expect(stats.snapshot().params.receivedBytes).toBeGreaterThan(2_000_000);
    expect(pub.stats.snapshot().params.sentBytes).toBeGreaterThanOrEqual(stats.snapshot().params.receivedBytes);
  });

  it('a subscriber that falls behind ends on the newest version', async () => {
    const pub = await ParamPublisher.bind({ address: 'tcp://127.0.0.1:*' });
    cleanups.push(() => pub.close());
    const sub = ParamSubscriber.connect({ address: pub.endpoint, topics: [paramTopic(1, 4)] });
    cleanups.push(() => sub.close());
    await untilSubscribed(pub, sub, paramTopic(1, 4));
    for (let v = 1; v <= 30; v++) void pub.publish(paramTopic(1, 4), v, [{ index: 1, data: blob(10_000, v) }]);
    const u = await sub.waitForVersion(paramTopic(1, 4), 30, 5000);
    expect(u.version).toBe(30);
    expect(Buffer.from(u.layers[0].data).equals(Buffer.from(blob(10_000, 30)))).toBe(true);
  });
});

describe('chunked uploads PUSH/PULL', () => {
  it('chunkLayout cuts into equal chunks with a shorter last one', () => {
    expect(chunkLayout(10, 4)).toEqual({ count: 3, size: 4 });
    expect(chunkLayout(9, 4)).toEqual({ count: 3, size: 3 });
    expect(chunkLayout(0, 4)).toEqual({ count: 1, size: 0 });
    expect(() => chunkLayout(10, 0)).toThrow(/chunkBytes must be an integer >= 1/);
  });

  it('reassembles uploads from several actors, with metadata, and counts bytes per actor', async () => {
    const puller = await UploadPuller.bind({ address: 'tcp://127.0.0.1:*', knownActors: ['a', 'b'] });
    cleanups.push(() => puller.close());
    const pa = UploadPusher.connect({ address: puller.endpoint, actorId: 'a', chunkBytes: 64 * 1024 });
    const pb = UploadPusher.connect({ address: puller.endpoint, actorId: 'b', chunkBytes: 1000 });
    cleanups.push(
      () => pa.close(),
      () => pb.close(),
    );
    const blobs = { a: [blob(1_000_003, 11), blob(5, 12)], b: [blob(54_321, 13), new Uint8Array(0)] };
    await Promise.all([pa.upload(blobs.a[0], { shape: [1_000_003] }), pa.upload(blobs.a[1]), pb.upload(blobs.b[0], { steps: [0, 80] }), pb.upload(blobs.b[1])]);
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await puller.next(5000));
    const byKey = new Map(got.map((u) => [`${u.actorId}/${u.uploadId}`, u]));
    expect([...byKey.keys()].sort()).toEqual(['a/0', 'a/1', 'b/0', 'b/1']);
    for (const actor of ['a', 'b'] as const) {
      blobs[actor].forEach((data, id) => expect(Buffer.from(byKey.get(`${actor}/${id}`)!.data).equals(Buffer.from(data))).toBe(true));
    }
    expect(byKey.get('a/0')!.meta).toEqual({ shape: [1_000_003] });
    expect(byKey.get('b/0')!.meta).toEqual({ steps: [0, 80] });
    expect(puller.counters.uploads).toBe(4);
    expect(puller.counters.rejected).toEqual({});
    expect(puller.statsFor('a').snapshot().upload.receivedBytes).toBe(pa.stats.snapshot().upload.sentBytes);
    expect(puller.statsFor('b').snapshot().upload.receivedMessages).toBe(55 + 1);
  });

  it('rejects and counts bad chunks without losing good uploads', async () => {
    const puller = await UploadPuller.bind({ address: 'tcp://127.0.0.1:*', knownActors: ['good', 'evil'], incompleteTimeoutMs: 100 });
    cleanups.push(() => puller.close());
    const raw = new zmq.Push({ linger: 0 });
    raw.connect(puller.endpoint);
    cleanups.push(() => raw.close());
    const chunk = (over: Record<string, unknown>) =>
      encode({ type: 'UploadChunk', actorId: 'evil', uploadId: 1, chunkIndex: 0, chunkCount: 2, totalBytes: 8, offset: 0, data: new Uint8Array(4), ...over });
    await raw.send(Buffer.from('not a coknight message at all'));
    await raw.send(chunk({ actorId: 'stranger' }));
    await raw.send(chunk({ chunkIndex: 1, offset: 3 })); // wrong offset for chunk 1 of 4-byte chunks
    await raw.send(chunk({}));
    await raw.send(chunk({})); // duplicate
    await raw.send(chunk({ chunkIndex: 1, offset: 4, chunkCount: 3, totalBytes: 12 })); // disagrees with chunk 0
    await raw.send(
      encode({ type: 'UploadChunk', actorId: 'evil', uploadId: 2, chunkIndex: 0, chunkCount: 1, totalBytes: 1, offset: 0, data: new Uint8Array(1) }, 9),
    );
    await raw.send([Buffer.from('two'), Buffer.from('frames')]);
    // PULL fair-queues between peers: let the raw socket's 8 messages land before the good upload.
    const rejectedCount = () => Object.values(puller.counters.rejected).reduce((a, b) => a + b, 0);
    for (let i = 0; i < 500 && rejectedCount() < 7; i++) await sleep(10);
    const pusher = UploadPusher.connect({ address: puller.endpoint, actorId: 'good', chunkBytes: 100 });
    cleanups.push(() => pusher.close());
    await pusher.upload(blob(250, 5));
    const u = await puller.next(5000);
    expect(u.actorId).toBe('good');
    expect(Buffer.from(u.data).equals(Buffer.from(blob(250, 5)))).toBe(true);
    expect(puller.counters.rejected).toEqual({
      BAD_MAGIC: 1,
      UNKNOWN_ACTOR: 1,
      BAD_LENGTH: 1,
      BAD_SEQUENCE: 1,
      BAD_FIELD: 1,
      VERSION_MISMATCH: 1,
      BAD_FRAMES: 1,
    });
    // The half-finished "evil" upload is dropped once it has been idle for incompleteTimeoutMs.
    puller.accept(
      encode({ type: 'UploadChunk', actorId: 'good', uploadId: 77, chunkIndex: 0, chunkCount: 2, totalBytes: 2, offset: 0, data: new Uint8Array(1) }),
      performance.now() + 1000,
    );
    expect(puller.counters.expired).toBe(1);
  });

  it('a paced upload runs at the link cap (within 10%)', async () => {
    const puller = await UploadPuller.bind({ address: 'tcp://127.0.0.1:*' });
    cleanups.push(() => puller.close());
    const cap = 4_000_000; // 4 MB/s
    const pacer = new Pacer(cap);
    const pusher = UploadPusher.connect({ address: puller.endpoint, actorId: 'paced', chunkBytes: 32 * 1024, pacer });
    cleanups.push(() => pusher.close());
    await pusher.upload(new Uint8Array(1000)); // connect and warm up outside the measurement
    await puller.next(5000);
    const data = blob(2_400_000, 8);
    const sentBefore = pusher.stats.snapshot().upload.sentBytes;
    const t0 = performance.now();
    await pusher.upload(data);
    const u = await puller.next(10_000);
    const ms = performance.now() - t0;
    const bytes = pusher.stats.snapshot().upload.sentBytes - sentBefore;
    const rate = (bytes / ms) * 1000;
    console.log(`paced ZeroMQ upload: ${bytes} B in ${ms.toFixed(0)} ms = ${(rate / 1e6).toFixed(3)} MB/s (cap ${cap / 1e6} MB/s)`);
    expect(u.data.length).toBe(data.length);
    const ideal = (bytes / cap) * 1000; // ≈ 600 ms
    expect(ms).toBeGreaterThanOrEqual(ideal - pacer.burstMs - 5); // never faster than the cap (bar one burst)
    expect(ms).toBeLessThan(ideal / 0.9 + 500); // at least 90 % of the cap, plus slack for a loaded machine
  });
});
