import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface ProbeState {
  /** Process is able to work at all (event loop alive). */
  live: () => boolean;
  /** Caches synced and the webhook serving: safe to receive traffic. */
  ready: () => { ready: boolean; detail: string };
}

/** /healthz, /readyz and /metrics on one plain-HTTP port (probes and scrapes stay in the cluster). */
export function startProbeServer(
  port: number,
  host: string,
  probes: ProbeState,
  registry: Registry,
): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const live = probes.live();
      res.writeHead(live ? 200 : 500, { 'content-type': 'text/plain' }).end(live ? 'ok' : 'not live');
    } else if (path === '/readyz') {
      const { ready, detail } = probes.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(detail);
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
