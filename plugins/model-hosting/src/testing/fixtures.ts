import {
  CapacityResponse,
  DeploymentDetail,
  FleetResponse,
} from '@modelhosting/backstage-plugin-model-hosting-common';

export const fleet: FleetResponse = {
  clusters: [
    { name: 'gpu-east', reachable: true },
    {
      name: 'gpu-west',
      reachable: false,
      error: "Cluster 'gpu-west' is unreachable: connect ECONNREFUSED",
    },
  ],
  items: [
    {
      cluster: 'gpu-east',
      namespace: 'ml-serving',
      name: 'vllm-instruct',
      entityRef: 'component:default/gpu-east.ml-serving.vllm-instruct',
      owner: 'group:default/ml-platform',
      engine: 'vllm',
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      phase: 'Ready',
      replicas: 2,
      readyReplicas: 1,
      gpu: {
        count: 1,
        resource: 'nvidia.com/gpu',
        product: 'NVIDIA-A100-SXM4-80GB',
      },
      health: 'healthy',
      endpoint: 'http://vllm-instruct.ml-serving.svc.cluster.local:8000',
    },
    {
      cluster: 'gpu-east',
      namespace: 'ml-serving',
      name: 'iris-classifier',
      entityRef: 'component:default/gpu-east.ml-serving.iris-classifier',
      owner: 'group:default/data-science',
      engine: 'http',
      model: 'iris-classifier',
      replicas: 2,
      readyReplicas: 0,
      gpu: { count: 0, resource: 'nvidia.com/gpu' },
      endpoint: 'http://iris-classifier.ml-serving.svc.cluster.local:8080',
    },
  ],
};

export const capacity: CapacityResponse = {
  clusters: [
    {
      cluster: 'gpu-east',
      reachable: true,
      totals: [
        { resource: 'nvidia.com/gpu', allocatable: 16, requested: 9 },
        { resource: 'nvidia.com/mig-1g.10gb', allocatable: 7, requested: 1 },
      ],
      nodes: [
        {
          name: 'a100-0',
          product: 'NVIDIA-A100-SXM4-80GB',
          sharing: 'exclusive',
          ready: true,
          resources: [
            { resource: 'nvidia.com/gpu', allocatable: 8, requested: 8 },
          ],
          holders: [
            {
              deployment: { namespace: 'ml-serving', name: 'vllm-instruct' },
              pod: 'vllm-instruct-abc',
              namespace: 'ml-serving',
              resource: 'nvidia.com/gpu',
              count: 8,
            },
          ],
        },
        {
          name: 't4-0',
          product: 'Tesla-T4-SHARED',
          sharing: 'timeSliced',
          ready: true,
          resources: [
            { resource: 'nvidia.com/gpu', allocatable: 8, requested: 1 },
          ],
          holders: [
            {
              pod: 'other',
              namespace: 'team-x',
              resource: 'nvidia.com/gpu',
              count: 1,
            },
          ],
        },
        {
          name: 'mig-0',
          product: 'NVIDIA-A100-SXM4-80GB',
          sharing: 'mig',
          ready: true,
          resources: [
            {
              resource: 'nvidia.com/mig-1g.10gb',
              allocatable: 7,
              requested: 1,
            },
          ],
          holders: [],
        },
        {
          name: 'cpu-0',
          sharing: 'none',
          ready: true,
          resources: [],
          holders: [],
        },
      ],
      pending: [
        {
          deployment: { namespace: 'ml-serving', name: 'big-model' },
          pod: 'big-model-x',
          namespace: 'ml-serving',
          requests: { 'nvidia.com/gpu': 8 },
          reason: '0/6 nodes are available: 2 Insufficient nvidia.com/gpu.',
        },
      ],
    },
  ],
};

export function detail(
  change: (d: DeploymentDetail) => void = () => {},
): DeploymentDetail {
  const d: DeploymentDetail = {
    summary: {
      ...fleet.items[0],
      autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 3 },
    },
    resource: {
      apiVersion: 'modelhosting.io/v1alpha1',
      kind: 'ModelDeployment',
      metadata: { name: 'vllm-instruct', namespace: 'ml-serving' },
      spec: {
        owner: 'group:default/ml-platform',
        engine: 'vllm',
        model: { name: 'meta-llama/Llama-3.1-8B-Instruct' },
        replicas: 2,
      },
      status: {
        phase: 'Ready',
        activeModel: 'meta-llama/Llama-3.1-8B-Instruct',
        readyReplicas: 1,
        replicas: 2,
        endpoint: 'http://vllm-instruct.ml-serving.svc.cluster.local:8000',
        conditions: [
          { type: 'Ready', status: 'True', reason: 'AllReplicasReady' },
          {
            type: 'Scheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/6 nodes are available: 2 Insufficient nvidia.com/gpu.',
          },
        ],
        lastSwitch: {
          from: 'model-a',
          to: 'meta-llama/Llama-3.1-8B-Instruct',
          seconds: 42.5,
          strategy: 'recreate',
        },
      },
    },
    pods: [
      {
        name: 'vllm-instruct-abc',
        node: 'a100-0',
        gpuProduct: 'NVIDIA-A100-SXM4-80GB',
        phase: 'Running',
        ready: true,
        restarts: 0,
        model: 'meta-llama/Llama-3.1-8B-Instruct',
      },
      {
        name: 'vllm-instruct-def',
        phase: 'Pending',
        ready: false,
        restarts: 0,
        reason: '0/6 nodes are available: 2 Insufficient nvidia.com/gpu.',
      },
    ],
    events: [
      {
        type: 'Normal',
        reason: 'SwitchCompleted',
        message: 'Switched from model-a in 42.5 s',
        object: 'ModelDeployment/vllm-instruct',
        lastTimestamp: '2026-11-24T12:00:00Z',
      },
    ],
  };
  change(d);
  return d;
}
