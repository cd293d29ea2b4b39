import { V1Deployment, V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATIONS,
  MODEL_DEPLOYMENT,
  ModelDeployment,
} from '@modelhosting/backstage-plugin-model-hosting-common';

/** A ModelDeployment as the API server would return it (defaults filled in). */
export function modelDeployment(
  change: (md: ModelDeployment) => void = () => {},
): ModelDeployment {
  const md: ModelDeployment = {
    apiVersion: MODEL_DEPLOYMENT.apiVersion,
    kind: MODEL_DEPLOYMENT.kind,
    metadata: {
      name: 'chat',
      namespace: 'ml',
      uid: 'uid-1',
      generation: 1,
      resourceVersion: '10',
    },
    spec: {
      owner: 'group:default/ml-platform',
      engine: 'vllm',
      model: { name: 'model-a' },
      resources: {
        gpu: {
          count: 1,
          resource: 'nvidia.com/gpu',
          product: 'NVIDIA-A100-SXM4-80GB',
        },
      },
      gpuSharing: 'exclusive',
      replicas: 2,
      switching: { strategy: 'recreate' },
    },
  };
  change(md);
  return md;
}

/** A Deployment whose rollout of `model` has settled at `replicas`. */
export function settledDeployment(
  model: string,
  replicas: number,
): V1Deployment {
  return {
    metadata: {
      name: 'chat',
      namespace: 'ml',
      generation: 3,
      annotations: { [ANNOTATIONS.model]: model },
    },
    spec: { replicas, selector: {}, template: {} },
    status: {
      observedGeneration: 3,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
    },
  };
}

export function pendingPod(message: string): V1Pod {
  return {
    metadata: { name: 'chat-x', namespace: 'ml' },
    status: {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message,
        },
      ],
    },
  };
}
