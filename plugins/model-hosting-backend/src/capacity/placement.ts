import { V1NodeAffinity, V1Toleration } from '@kubernetes/client-node';
import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';

/** Labels of GPU feature discovery and the GPU operator that placement goes by. */
export const GPU_LABELS = {
  product: 'nvidia.com/gpu.product',
  sharingStrategy: 'nvidia.com/gpu.sharing-strategy',
} as const;

/** The taint GPU nodes carry so that only GPU workloads land there. */
export const GPU_TAINT = 'nvidia.com/gpu';

export interface Placement {
  nodeSelector: Record<string, string>;
  tolerations: V1Toleration[];
  /** Exclusive GPUs stay off nodes that share theirs by time-slicing. */
  avoidTimeSliced: boolean;
}

/** Where a deployment's pods may run: GPU product and sharing mode map to GPU labels. */
export function placement(md: ModelDeployment): Placement {
  const gpu = md.spec.resources?.gpu;
  const nodeSelector: Record<string, string> = {
    ...(md.spec.nodeSelector ?? {}),
  };
  const tolerations: V1Toleration[] = [
    ...((md.spec.tolerations ?? []) as V1Toleration[]),
  ];
  let avoidTimeSliced = false;
  if (gpu && gpu.count > 0) {
    if (gpu.product) nodeSelector[GPU_LABELS.product] = gpu.product;
    if (md.spec.gpuSharing === 'timeSliced') {
      nodeSelector[GPU_LABELS.sharingStrategy] = 'time-slicing';
    } else {
      avoidTimeSliced = true;
    }
    tolerations.push({
      key: GPU_TAINT,
      operator: 'Exists',
      effect: 'NoSchedule',
    });
  }
  return { nodeSelector, tolerations, avoidTimeSliced };
}

/** The placement as the pod spec's node affinity. */
export function nodeAffinity(p: Placement): V1NodeAffinity | undefined {
  if (!p.avoidTimeSliced) return undefined;
  return {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [
        {
          matchExpressions: [
            {
              key: GPU_LABELS.sharingStrategy,
              operator: 'NotIn',
              values: ['time-slicing'],
            },
          ],
        },
      ],
    },
  };
}
