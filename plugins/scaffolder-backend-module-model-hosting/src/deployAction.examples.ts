import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import YAML from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Deploy a vLLM server that scales to zero, and wait until it is Ready',
    example: YAML.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'model-hosting:deploy',
          name: 'Deploy the model server',
          input: {
            cluster: 'gpu-east',
            namespace: 'ml-serving',
            name: 'vllm-instruct',
            waitForReady: true,
            timeoutSeconds: 1800,
            spec: {
              owner: 'group:default/ml-platform',
              engine: 'vllm',
              model: { name: 'meta-llama/Llama-3.1-8B-Instruct' },
              resources: {
                gpu: { count: 1, product: 'NVIDIA-A100-SXM4-80GB' },
              },
              autoscaling: {
                enabled: true,
                minReplicas: 0,
                maxReplicas: 2,
                metrics: [{ type: 'requestsInFlight', target: 16 }],
                scaleToZeroAfterSeconds: 900,
              },
            },
          },
        },
      ],
    }),
  },
  {
    description:
      'Deploy an Ollama server with models that must stay pulled, on time-sliced GPUs',
    example: YAML.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'model-hosting:deploy',
          name: 'Deploy Ollama',
          input: {
            cluster: '${{ parameters.cluster }}',
            namespace: '${{ parameters.namespace }}',
            name: '${{ parameters.name }}',
            spec: {
              owner: '${{ parameters.owner }}',
              engine: 'ollama',
              model: { name: 'llama3.1:8b' },
              replicas: 3,
              gpuSharing: 'timeSliced',
              resources: { gpu: { count: 1 } },
              healthCheck: {
                expectedModels: ['llama3.1:8b', 'nomic-embed-text'],
                autoPull: true,
              },
            },
          },
        },
      ],
    }),
  },
];
