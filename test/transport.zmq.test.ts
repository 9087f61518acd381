/** Integration tests with real ZeroMQ sockets on loopback (tcp, random free ports). */
import * as zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../src/util/rng.js';
import { LinkStats, Pacer } from '../src/transport/pacer.js';
import { encode, type ParamUpdate } from '../src/transport/wire/index.js';
import {
  ALL_PARAMS_TOPIC,
  chunkLayout,
  codecKey,
  codecStatesBlob,
  headTopic,
  layerBlobs,
  ParamPublisher,
  ParamSubscriber,
  readCodecStates,
  UploadPuller,
  UploadPusher,
} from '../src/transport/index.js';

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
async function untilSubscribed(pub: ParamPublisher, sub: ParamSubscriber): Promise<void> {
  for (let i = 0; i < 200 && sub.version() < 0; i++) {
    await pub.publish(sub.topic, 0, []);
    await sleep(10);
  }
  expect(sub.version()).toBe(0);
}

/** Both ends conflate (a newer queued message replaces an older one): send one, wait until it is taken. */
async function oneByOne(sub: ParamSubscriber, send: () => Promise<unknown>): Promise<void> {
  const n = sub.counters.received;
  await send();
  for (let i = 0; i < 1000 && sub.counters.received === n; i++) await sleep(5);
  expect(sub.counters.received).toBe(n + 1);
}

describe('parameter PUB/SUB', () => {
  it('headTopic: one topic per (split point, codec), none a prefix of another', () => {
    expect(headTopic(3)).toBe('head/3/-/');
    expect(headTopic(3, 'ae4q4')).toBe('head/3/ae4q4/');
    const topics = [headTopic(1), headTopic(10), headTopic(1, 'q8'), headTopic(1, 'q8z'), headTopic(10, 'q8'), ALL_PARAMS_TOPIC];
    for (const a of topics) for (const b of topics) if (a !== b) expect(b.startsWith(a), `${a} prefixes ${b}`).toBe(false);
    expect(() => headTopic(0)).toThrow(/split point >= 1/);
    expect(() => headTopic(2, 'Q-8')).toThrow(/codec id/);
  });

  it('codec states travel as blob 0 of the message, keyed "<y>/<id>"; layers are the other blobs', () => {
    const states = new Map([[codecKey(2, 'ae4q4'), { range: [0, 1] }]]);
    const u: ParamUpdate = { type: 'ParamUpdate', version: 4, layers: [{ index: 1, data: new Uint8Array([1]) }, codecStatesBlob(states)] };
    expect(readCodecStates(u)).toEqual(states);
    expect(layerBlobs(u).map((l) => l.index)).toEqual([1]);
    expect(readCodecStates({ ...u, layers: [] }).size).toBe(0);
    expect(() => readCodecStates({ ...u, layers: [{ index: 0, data: new TextEncoder().encode('[1]') }] })).toThrow(/not a JSON object/);
  });

  it('delivers versioned blobs on one topic; keeps the newest, drops stale and foreign topics', async () => {
    const pub = await ParamPublisher.bind({ address: 'tcp://127.0.0.1:*' });
    cleanups.push(() => pub.close());
    const head = headTopic(2);
    const updates: number[] = [];
    const stats = new LinkStats();
    const sub = ParamSubscriber.connect({ address: pub.endpoint, topic: head, stats, onUpdate: (u) => updates.push(u.version) });
    cleanups.push(() => sub.close());
    await untilSubscribed(pub, sub);

    const l1 = blob(1000, 1);
    const l2 = blob(2_000_000, 2); // a 2 MB layer
    await pub.publish(head, 5, [
      { index: 1, data: l1 },
      { index: 2, data: l2 },
    ]);
    const got: ParamUpdate = await sub.waitForVersion(5, 5000);
    await oneByOne(sub, () => pub.publish(head, 3, [{ index: 1, data: l1 }])); // stale: older than 5
    await oneByOne(sub, () => pub.publish(head, 5, [{ index: 1, data: l1 }])); // stale: same version
    await pub.publish(headTopic(2, 'q8'), 99, []); // other heads' topics: filtered by the publisher
    await pub.publish(headTopic(1), 100, []);
    await pub.publish(head, 6, [{ index: 1, data: l1 }]);
    await sub.waitForVersion(6, 5000);

    expect(got.layers.map((l) => l.index)).toEqual([1, 2]);
    expect(Buffer.from(got.layers[1].data).equals(Buffer.from(l2))).toBe(true);
    expect(updates).toEqual([0, 5, 6]);
    expect(sub.counters.stale).toBe(2);
    expect(sub.counters.rejected).toEqual({});
    expect(sub.version()).toBe(6);
    // take() hands out each version once.
    expect(sub.take()?.version).toBe(6);
    expect(sub.take()).toBeUndefined();
    // Bytes counted on both ends of the params channel.
    expect(stats.snapshot().params.receivedBytes).toBeGreaterThan(2_000_000);
    expect(pub.stats.snapshot().params.sentBytes).toBeGreaterThanOrEqual(stats.snapshot().params.receivedBytes);
  });

  it('a malformed message on the topic is rejected and counted, and the next good one still applies', async () => {
    const raw = new zmq.Publisher({ linger: 0 });
    await raw.bind('tcp://127.0.0.1:*');
    cleanups.push(() => raw.close());
    const head = headTopic(1);
    const sub = ParamSubscriber.connect({ address: raw.lastEndpoint!, topic: head });
    cleanups.push(() => sub.close());
    const good = Buffer.concat([Buffer.from(head), encode({ type: 'ParamUpdate', version: 0, layers: [] })]);
    for (let i = 0; i < 200 && sub.version() < 0; i++) {
      await raw.send(good);
      await sleep(10);
    }
    // A broken body, the topic alone, and a message of another type: each counted, none applied.
    await oneByOne(sub, () => raw.send(Buffer.concat([Buffer.from(head), Buffer.from('not a message')])));
    await oneByOne(sub, () => raw.send(Buffer.from(head)));
    await oneByOne(sub, () =>
      raw.send(
        Buffer.concat([
          Buffer.from(head),
          encode({ type: 'UploadChunk', actorId: 'a', uploadId: 1, chunkIndex: 0, chunkCount: 1, totalBytes: 0, offset: 0, data: new Uint8Array(0) }),
        ]),
      ),
    );
    await raw.send(Buffer.concat([Buffer.from(head), encode({ type: 'ParamUpdate', version: 2, layers: [] })]));
    await sub.waitForVersion(2, 5000);
    expect(Object.values(sub.counters.rejected).reduce((a, b) => a + b, 0)).toBe(3);
    expect(sub.counters.accepted).toBe(2);
  });

  it('a subscriber behind a slow link gets the newest version, not the backlog', async () => {
    const pub = await ParamPublisher.bind({ address: 'tcp://127.0.0.1:*' });
    cleanups.push(() => pub.close());
    const topic = headTopic(4);
    // 200 kB per message through a 1 MB/s downlink: in order, 30 of them would take 6 s.
    const sub = ParamSubscriber.connect({ address: pub.endpoint, topic, pacer: new Pacer(1_000_000) });
    cleanups.push(() => sub.close());
    await untilSubscribed(pub, sub);
    for (let v = 1; v <= 30; v++) void pub.publish(topic, v, [{ index: 1, data: blob(200_000, v) }]);
    const u = await sub.waitForVersion(30, 5000);
    expect(u.version).toBe(30);
    expect(Buffer.from(u.layers[0].data).equals(Buffer.from(blob(200_000, 30)))).toBe(true);
    // Conflated on both ends: a few messages crossed, not 30.
    expect(sub.counters.received).toBeLessThan(15);
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
