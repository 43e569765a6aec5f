import { type ClusterOptions, TestCluster } from './cluster.ts';
import { KindCluster } from './kind.ts';

/** A cluster the e2e suite runs on: the built-in control plane, or kind where Docker is available. */
export type Cluster = TestCluster | KindCluster;

/**
 * `SOVEREIGN_PLACEMENT_TARGET=kind` (what `make e2e-kind` sets) runs the suite on kind clusters; by
 * default it runs on the built-in control plane, which needs no Docker.
 */
export function startCluster(options: ClusterOptions): Promise<Cluster> {
  return process.env.SOVEREIGN_PLACEMENT_TARGET === 'kind'
    ? KindCluster.start(options)
    : TestCluster.start(options);
}
