/**
 * The inference server's own TCP listener: it hands each socket to gRPC (a connection injector), so
 * it can cap connections and close any connection on which no call presents the token within
 * `idleMs` (a silent socket, an unfinished TLS or HTTP/2 handshake, only bad tokens).
 */
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import { createServer, type Socket } from 'node:net';
import type * as grpc from '@grpc/grpc-js';

export interface GuardOptions {
  readonly address: string;
  readonly maxConnections: number;
  readonly idleMs: number;
  /** peer (host:port as gRPC names it) → clears that connection's auth deadline (set here, called on a good token). */
  readonly pendingAuth: Map<string, () => void>;
  readonly stats: { connections: number };
  /** A connection refused because the cap is reached. */
  readonly onDrop: () => void;
}

export async function listenGuarded(server: grpc.Server, creds: grpc.ServerCredentials, o: GuardOptions): Promise<{ port: number; shutdown: () => void }> {
  // The server owns its TCP listener and hands each socket to gRPC, so it can cap connections.
  const injector = server.createConnectionInjector(creds);
  // Once HTTP/2 owns a socket, destroying the socket no longer closes the connection: the deadline
  // must destroy the session. gRPC keeps the injector's HTTP/2 server in a private map (grpc-js 1.x).
  const sessions = new Map<string, ServerHttp2Session>();
  const internal = (server as unknown as { http2Servers?: Map<Http2Server, unknown> }).http2Servers;
  for (const h of internal?.keys() ?? []) {
    h.on('session', (session: ServerHttp2Session) => {
      const key = `${session.socket?.remoteAddress}:${session.socket?.remotePort}`;
      sessions.set(key, session);
      session.once('close', () => sessions.delete(key));
    });
  }
  const sockets = new Set<Socket>();
  const tcp = createServer((socket) => {
    sockets.add(socket);
    o.stats.connections++;
    socket.once('close', () => {
      sockets.delete(socket);
      o.stats.connections--;
    });
    socket.on('error', () => socket.destroy());
    // Pre-authentication deadline: a connection on which no call presents the token within idleMs
    // (a silent socket, an unfinished TLS or HTTP/2 handshake, only bad tokens) is closed. After
    // that, gRPC's idle timer closes it once it has had no stream for idleMs.
    const addr = socket.remoteAddress ?? '';
    const peers = [`${addr}:${socket.remotePort}`, `[${addr}]:${socket.remotePort}`];
    const deadline = setTimeout(() => {
      session()?.destroy();
      socket.destroy();
      for (const p of peers) o.pendingAuth.delete(p);
    }, o.idleMs);
    deadline.unref();
    const clear = (): void => {
      clearTimeout(deadline);
      for (const p of peers) o.pendingAuth.delete(p);
    };
    for (const p of peers) o.pendingAuth.set(p, clear);
    // Not cleared when the socket closes: gRPC's graceful idle close can leave the session waiting on
    // a peer that never answers; the deadline destroys it (and then forgets the peer).
    const session = (): ServerHttp2Session | undefined => sessions.get(peers[0]);
    socket.once('close', () => {
      if (!session()) clear();
    });
    injector.injectConnection(socket);
  });
  tcp.maxConnections = o.maxConnections;
  tcp.on('drop', o.onDrop);
  const i = o.address.lastIndexOf(':');
  const host = o.address.slice(0, i);
  const listenHost = host.replace(/^\[(.*)\]$/, '$1');
  const wantPort = Number(o.address.slice(i + 1));
  if (i < 0 || !Number.isInteger(wantPort) || wantPort < 0 || wantPort > 65535) {
    throw new Error(`cannot bind inference server to ${o.address}: the address must be host:port`);
  }
  const port = await new Promise<number>((resolve, reject) => {
    tcp.once('error', (err) => reject(new Error(`cannot bind inference server to ${o.address}: ${err.message}`)));
    tcp.listen(wantPort, listenHost, () => {
      const a = tcp.address();
      resolve(typeof a === 'object' && a ? a.port : wantPort);
    });
  });
  const shutdown = (): void => {
    server.forceShutdown();
    injector.destroy();
    tcp.close();
    for (const sk of sockets) sk.destroy();
  };
  return { port, shutdown };
}
