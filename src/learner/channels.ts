/**
 * The learner's ZeroMQ side, authenticated: one parameter publisher and one upload socket per actor,
 * all CURVE-encrypted, with a ZAP handler that admits only the keys handed out at registration. A
 * registration gets a fresh keypair (the previous one is revoked), a departure revokes it, and the
 * sockets of forgotten actors are closed. Pausing the upload sockets is the learner's backpressure.
 */
import { type CurveKeyPair, curveKeyPair, type LayerBlob, ParamPublisher, UploadPuller, ZapAuthenticator } from '../transport/index.js';
import type { UploadIntake } from './upload-intake.js';

interface UploadSocket {
  readonly puller: UploadPuller;
  readonly domain: string;
  key?: string;
}

export interface ActorKeys {
  readonly serverKey: string;
  readonly publicKey: string;
  readonly secretKey: string;
}

export class SecureChannels {
  private readonly uploads = new Map<string, UploadSocket>();
  private readonly subscribers = new Map<string, string>();
  private paused = false;

  private constructor(
    private readonly host: string,
    private readonly serverKeys: CurveKeyPair,
    private zap: ZapAuthenticator | undefined,
    private readonly paramsDomain: string,
    readonly publisher: ParamPublisher,
    private readonly intake: UploadIntake,
    private readonly maxPendingUploadBytes: number,
  ) {}

  /** Binds the publisher on `host` ('*' for every interface). */
  static async open(host: string, intake: UploadIntake, maxPendingUploadBytes: number): Promise<SecureChannels> {
    const serverKeys = curveKeyPair();
    const zap = await ZapAuthenticator.acquire();
    const paramsDomain = ZapAuthenticator.domain('params');
    try {
      const publisher = await ParamPublisher.bind({ address: `tcp://${host}:*`, curve: { secretKey: serverKeys.secretKey, domain: paramsDomain } });
      return new SecureChannels(host, serverKeys, zap, paramsDomain, publisher, intake, maxPendingUploadBytes);
    } catch (e) {
      await zap.release([paramsDomain]);
      throw e;
    }
  }

  publish(topic: string, version: number, layers: LayerBlob[]): Promise<number> {
    return this.publisher.publish(topic, version, layers);
  }

  /** This actor's upload socket (bound at its first registration, kept while it is remembered) and a fresh keypair for it. */
  async register(actorId: string): Promise<{ uploadEndpoint: string; keys: ActorKeys }> {
    let u = this.uploads.get(actorId);
    if (!u) {
      const domain = ZapAuthenticator.domain(`upload/${this.uploads.size}`);
      const puller = await UploadPuller.bind({
        address: `tcp://${this.host}:*`,
        actorId,
        curve: { secretKey: this.serverKeys.secretKey, domain },
        maxPendingBytes: this.maxPendingUploadBytes,
        onUpload: (x) => this.intake.upload(x),
        onReject: (code, message) => this.intake.rejectedChunk(actorId, code, message),
      });
      if (this.paused) puller.pause(); // joining while the queue is full: held back like the others
      u = { puller, domain };
      this.uploads.set(actorId, u);
    }
    const keys = curveKeyPair();
    this.revoke(actorId);
    u.key = keys.publicKey;
    this.zap!.allow(u.domain, keys.publicKey);
    this.zap!.allow(this.paramsDomain, keys.publicKey);
    return { uploadEndpoint: u.puller.endpoint, keys: { serverKey: this.serverKeys.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey } };
  }

  /** Keys for an inference server: it subscribes to the parameters only (no upload socket). */
  subscriber(serverId: string): ActorKeys {
    const keys = curveKeyPair();
    this.revokeSubscriber(serverId);
    this.subscribers.set(serverId, keys.publicKey);
    this.zap!.allow(this.paramsDomain, keys.publicKey);
    return { serverKey: this.serverKeys.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey };
  }

  revokeSubscriber(serverId: string): void {
    const k = this.subscribers.get(serverId);
    if (k) this.zap?.revoke(this.paramsDomain, k);
    this.subscribers.delete(serverId);
  }

  /** The actor's key admits no new ZeroMQ connection any more. */
  revoke(actorId: string): void {
    const u = this.uploads.get(actorId);
    if (!u?.key) return;
    this.zap?.revoke(u.domain, u.key);
    this.zap?.revoke(this.paramsDomain, u.key);
    u.key = undefined;
  }

  /** Closes the upload socket of a forgotten actor. */
  forget(actorId: string, log: (m: string) => void): void {
    const u = this.uploads.get(actorId);
    if (!u) return;
    this.uploads.delete(actorId);
    this.zap?.forgetDomain(u.domain);
    u.puller.close().catch((e: Error) => log(`closing the upload socket of actor ${actorId} failed: ${e.message}`));
  }

  /** Stops (or resumes) reading every upload socket: the actors' sends block (backpressure). */
  setPaused(paused: boolean): void {
    this.paused = paused;
    for (const u of this.uploads.values()) {
      if (paused) u.puller.pause();
      else u.puller.resume();
    }
  }

  uploadBytes(actorId: string): number {
    return this.uploads.get(actorId)?.puller.statsFor(actorId).snapshot().upload.receivedBytes ?? 0;
  }

  uploadPending(actorId: string): { partials: number; bytes: number } {
    const p = this.uploads.get(actorId)?.puller;
    return { partials: p?.partialCount ?? 0, bytes: p?.counters.pendingBytes ?? 0 };
  }

  /** CURVE handshakes refused by the process's ZAP handler (all learners of the process). */
  get authDenied(): number {
    return this.zap?.stats.denied ?? 0;
  }

  async close(): Promise<void> {
    this.setPaused(false);
    this.publisher.close();
    for (const u of this.uploads.values()) await u.puller.close();
    await this.zap?.release([this.paramsDomain, ...[...this.uploads.values()].map((u) => u.domain)]);
    this.zap = undefined;
  }
}
