export { modelHostingPlugin as default } from './plugin';
export { modelHostingClustersServiceRef } from './cluster/clustersService';
export { ClusterManager } from './cluster/ClusterManager';
export type { ClusterManagerOptions } from './cluster/ClusterManager';
export { readClusters } from './cluster/clusterConfig';
