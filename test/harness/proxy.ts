import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './net.ts';

/**
 * A TCP proxy on 127.0.0.1 in front of one or more backends, for faults the test controls: `partition()`
 * cuts every connection and refuses new ones (a network partition between a client and its server),
 * `heal()` lets connections through again. With several backends it connects to the first one that
 * accepts, as a Service in front of several replicas does. TLS passes through untouched, so client
 * certificates and server names are checked end to end.
 */
export class TcpProxy {
  readonly port: number;
  private readonly server: Server;
  private readonly backends: () => number[];
  private readonly sockets = new Set<Socket>();
  private partitioned = false;

  private constructor(port: number, server: Server, backends: () => number[]) {
    this.port = port;
    this.server = server;
    this.backends = backends;
  }

  /** `backends` is read at each connection, so the set of backends may change. */
  static async start(backends: () => number[]): Promise<TcpProxy> {
    const port = await freePort();
    const server = createServer();
    const proxy = new TcpProxy(port, server, backends);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Cuts every open connection and refuses new ones until `heal()`. */
  partition(): void {
    this.partitioned = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  heal(): void {
    this.partitioned = false;
  }

  async stop(): Promise<void> {
    this.partition();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private accept(client: Socket): void {
    if (this.partitioned) {
      client.destroy();
      return;
    }
    this.track(client);
    client.pause();
    const tryBackend = (candidates: number[]): void => {
      const [port, ...rest] = candidates;
      if (port === undefined || client.destroyed) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: '127.0.0.1', port });
      const onError = () => {
        upstream.destroy();
        tryBackend(rest);
      };
      upstream.once('error', onError);
      upstream.once('connect', () => {
        upstream.off('error', onError);
        if (this.partitioned || client.destroyed) {
          upstream.destroy();
          client.destroy();
          return;
        }
        this.track(upstream);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryBackend(this.backends());
  }
}
