/**
 * ZeroMQ CURVE for the parameter and upload channels. The learner holds one server keypair; every
 * actor registration gets its own client keypair over the (token-authenticated) gRPC registration.
 * A ZAP handler (ZeroMQ's authentication protocol, on inproc://zeromq.zap.01 of the shared context)
 * admits a client only if its public key is allowed on the socket's ZAP domain: the parameter PUB
 * socket's domain admits every registered actor, each actor's upload PULL socket admits only that
 * actor's current key, so an upload can only come from the actor the socket belongs to. Peers that
 * fail the handshake never get a byte through (and never see the parameters). Keys are Z85 strings.
 */
import { randomBytes } from 'node:crypto';
import * as zmq from 'zeromq';

/** What a CURVE client needs: the server's public key and its own keypair (Z85, 40 characters each). */
export interface CurveClientKeys {
  readonly serverKey: string;
  readonly publicKey: string;
  readonly secretKey: string;
}

export interface CurveKeyPair {
  readonly publicKey: string;
  readonly secretKey: string;
}

/** Throws a clear error when the installed libzmq was built without CURVE. */
export function requireCurve(): void {
  if (!zmq.capability.curve) {
    throw new Error(
      'the installed zeromq (libzmq) has no CURVE support, so the learner cannot authenticate and encrypt its ZeroMQ channels: ' +
        'reinstall the zeromq package with its prebuilt binary (npm rebuild zeromq) or build libzmq with libsodium/tweetnacl',
    );
  }
}

export function curveKeyPair(): CurveKeyPair {
  requireCurve();
  return zmq.curveKeyPair();
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** Z85 text of bytes whose length is a multiple of 4 (ZAP hands keys over as 32 raw bytes). */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new RangeError(`z85Encode needs a multiple of 4 bytes, got ${bytes.length}`);
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let v = ((bytes[i] << 24) >>> 0) + (bytes[i + 1] << 16) + (bytes[i + 2] << 8) + bytes[i + 3];
    let chunk = '';
    for (let j = 0; j < 5; j++) {
      chunk = Z85[v % 85] + chunk;
      v = Math.floor(v / 85);
    }
    out += chunk;
  }
  return out;
}

/** Socket options of a CURVE server socket on one ZAP domain. */
export function curveServerOptions(secretKey: string, domain: string): { curveServer: true; curveSecretKey: string; zapDomain: string } {
  return { curveServer: true, curveSecretKey: secretKey, zapDomain: domain };
}

/** Socket options of a CURVE client socket. */
export function curveClientOptions(keys: CurveClientKeys): { curveServerKey: string; curvePublicKey: string; curveSecretKey: string } {
  requireCurve();
  return { curveServerKey: keys.serverKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey };
}

export interface ZapStats {
  allowed: number;
  denied: number;
}

const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/**
 * The process's ZAP handler (one per ZeroMQ context, so shared by every learner of the process and
 * reference-counted). Each learner works on its own domains (ZapAuthenticator.domain gives unique ones).
 */
export class ZapAuthenticator {
  private static shared: { auth: ZapAuthenticator; refs: number } | undefined;
  private static starting: Promise<ZapAuthenticator> | undefined;
  readonly stats: ZapStats = { allowed: 0, denied: 0 };
  /** domain → allowed client public keys (Z85). */
  private readonly allowedKeys = new Map<string, Set<string>>();
  private readonly loop: Promise<void>;
  private closed = false;

  private constructor(private readonly socket: zmq.Reply) {
    this.loop = this.serve();
  }

  /** The shared handler, bound before the first CURVE server socket of the process. */
  static async acquire(): Promise<ZapAuthenticator> {
    requireCurve();
    if (ZapAuthenticator.shared) {
      ZapAuthenticator.shared.refs++;
      return ZapAuthenticator.shared.auth;
    }
    if (!ZapAuthenticator.starting) {
      ZapAuthenticator.starting = (async () => {
        const socket = new zmq.Reply({ linger: 0 });
        await socket.bind(ZAP_ENDPOINT);
        const auth = new ZapAuthenticator(socket);
        ZapAuthenticator.shared = { auth, refs: 0 };
        return auth;
      })();
    }
    const auth = await ZapAuthenticator.starting;
    ZapAuthenticator.starting = undefined;
    ZapAuthenticator.shared!.refs++;
    return auth;
  }

  /** A fresh domain name (unguessable, so two learners in one process never share one). */
  static domain(what: string): string {
    return `coknight/${randomBytes(6).toString('hex')}/${what}`;
  }

  allow(domain: string, publicKey: string): void {
    let s = this.allowedKeys.get(domain);
    if (!s) {
      s = new Set();
      this.allowedKeys.set(domain, s);
    }
    s.add(publicKey);
  }

  revoke(domain: string, publicKey: string): void {
    this.allowedKeys.get(domain)?.delete(publicKey);
  }

  forgetDomain(domain: string): void {
    this.allowedKeys.delete(domain);
  }

  isAllowed(domain: string, publicKey: string): boolean {
    return this.allowedKeys.get(domain)?.has(publicKey) ?? false;
  }

  /** Drops one reference; the last one closes the handler. */
  async release(domains: readonly string[] = []): Promise<void> {
    for (const d of domains) this.forgetDomain(d);
    const s = ZapAuthenticator.shared;
    if (!s || s.auth !== this) return;
    if (--s.refs > 0) return;
    ZapAuthenticator.shared = undefined;
    this.closed = true;
    this.socket.close();
    await this.loop;
  }

  private async serve(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const [version, requestId, domain, , , mechanism, key] = frames;
        let ok = false;
        if (version?.toString() === '1.0' && mechanism?.toString() === 'CURVE' && key?.length === 32) {
          ok = this.isAllowed(domain.toString(), z85Encode(key));
        }
        if (ok) this.stats.allowed++;
        else this.stats.denied++;
        await this.socket.send([version ?? '1.0', requestId ?? '', ok ? '200' : '400', ok ? 'OK' : 'not an authorised key', ok ? domain.toString() : '', '']);
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }
}
