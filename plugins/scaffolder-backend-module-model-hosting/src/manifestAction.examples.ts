import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import YAML from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Render the ModelDeployment for a pull request instead of applying it (GitOps)',
    example: YAML.stringify({
      steps: [
        {
          id: 'manifest',
          action: 'model-hosting:manifest',
          name: 'Render the manifest',
          input: {
            path: 'k8s/iris-classifier.yaml',
            namespace: 'ml-serving',
            name: 'iris-classifier',
            spec: {
              owner: 'group:default/data-science',
              engine: 'http',
              model: {
                name: 'iris',
                version: '3',
                source: 's3://models/iris/3',
              },
              autoscaling: {
                enabled: true,
                minReplicas: 1,
                maxReplicas: 5,
                metrics: [
                  { type: 'cpu', target: 70 },
                  { type: 'memory', target: 80 },
                ],
              },
            },
          },
        },
        {
          id: 'publish',
          action: 'publish:github:pull-request',
          name: 'Open a pull request',
          input: {
            repoUrl: 'github.com?owner=acme&repo=ml-gitops',
            branchName: 'deploy-iris-classifier',
            title: 'Deploy iris-classifier',
            description:
              'A ModelDeployment rendered by the model-hosting template',
          },
        },
      ],
    }),
  },
];
