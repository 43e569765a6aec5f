// The operator's controller runtime: what client-go gives a Go operator (informer cache, work queue,
// worker loop, leader election), written for client-node 2.x, which has only a basic informer.
export {
  httpStatusOf,
  KubeApiError,
  type KubeStatus,
  kubeRequest,
  type ResourceRef,
  resourcePath,
} from '../../kube/request.ts';
export { type Clock, jitteredBackoff, MAX_TIMER_DELAY_MS, systemClock, timerAt } from './clock.ts';
export { type Reconcile, type ReconcileResult, type RunWorkersOptions, runWorkers } from './controller.ts';
export {
  decide,
  formatMicroTime,
  kubeLeaseClient,
  LeaderElector,
  type LeaderElectorOptions,
  type Lease,
  type LeaseClient,
  type LeaseDecision,
  type LeaseSpec,
  leaseExpiresAt,
} from './leader-election.ts';
export {
  diffSnapshot,
  objectKey,
  Reflector,
  type ReflectorEvent,
  type ReflectorListener,
  type ReflectorOptions,
  type ReflectorSettings,
  type SnapshotChanges,
  type WatchEndReason,
} from './reflector.ts';
export {
  kubeResourceClient,
  type ListPage,
  type ObjectWithMeta,
  type RawWatchEvent,
  type ResourceClient,
  type WatchRequest,
} from './resource-client.ts';
export { WorkQueue, type WorkQueueOptions } from './work-queue.ts';
