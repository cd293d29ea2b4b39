/* eslint-disable */
// Generated from k8s/crd/modeldeployment.yaml by scripts/generateFromCrd.js. Do not edit by hand:
// change the CRD and run `yarn workspace @modelhosting/backstage-plugin-model-hosting-common generate`.

export const MODEL_DEPLOYMENT = {
  group: 'modelhosting.io',
  version: 'v1alpha1',
  apiVersion: 'modelhosting.io/v1alpha1',
  kind: 'ModelDeployment',
  plural: 'modeldeployments',
} as const;

/** The CRD's openAPIV3Schema, for validating input before it reaches the cluster. */
export const modelDeploymentOpenApiSchema = {
  type: 'object',
  description:
    'A model server (Ollama, vLLM, OpenAI-compatible or plain HTTP) managed by the Backstage model-hosting plugin.',
  required: ['spec'],
  'x-kubernetes-validations': [
    {
      rule: "self.metadata.name.size() <= 52 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
      message:
        "metadata.name must start with a letter, contain only lowercase letters, digits and '-', end with a letter or digit, and be at most 52 characters (it names the Deployment, Service and pods)",
    },
  ],
  properties: {
    apiVersion: {
      type: 'string',
    },
    kind: {
      type: 'string',
    },
    metadata: {
      type: 'object',
    },
    spec: {
      type: 'object',
      description:
        'What should run. The reconciler makes the cluster match it.',
      required: ['owner', 'engine', 'model'],
      'x-kubernetes-validations': [
        {
          rule: "self.gpuSharing != 'timeSliced' || (has(self.resources) && has(self.resources.gpu) && self.resources.gpu.count > 0)",
          message:
            'gpuSharing timeSliced needs resources.gpu.count of at least 1',
        },
        {
          rule: '!has(self.resources) || !has(self.resources.gpu) || !has(self.resources.gpu.product) || self.resources.gpu.count > 0',
          message: 'resources.gpu.product is set but resources.gpu.count is 0',
        },
        {
          rule: '!has(self.storage) || !has(self.storage.preload) || self.storage.preload.all(p, p == self.model.name || (has(self.models) && self.models.exists(m, m.name == p)))',
          message:
            'storage.preload names a model that is not in the pool (model or models)',
        },
        {
          rule: '!has(self.autoscaling) || !self.autoscaling.enabled || (self.replicas >= self.autoscaling.minReplicas && self.replicas <= self.autoscaling.maxReplicas)',
          message:
            'replicas must lie within autoscaling.minReplicas..autoscaling.maxReplicas while autoscaling is enabled',
        },
      ],
      properties: {
        owner: {
          type: 'string',
          description:
            'Backstage owner of the catalog entities, an entity reference such as group:default/ml-platform.',
          minLength: 1,
          maxLength: 253,
          pattern:
            '^((group|user):)?([a-z0-9][-a-z0-9]*/)?[A-Za-z0-9][-A-Za-z0-9_.]*$',
        },
        engine: {
          type: 'string',
          description:
            'Engine adapter that decides image, arguments, port, probes and health calls. Built in - vllm, ollama, openai (any OpenAI-compatible server), http (a V2 inference predictor); a backend module can add more (see the engines extension point), and the backend refuses names it does not know.',
          minLength: 1,
          maxLength: 32,
          pattern: '^[a-z][a-z0-9-]*$',
        },
        model: {
          type: 'object',
          description: 'The model to serve.',
          required: ['name'],
          properties: {
            name: {
              type: 'string',
              description:
                'Model name as the engine knows it, e.g. llama3.1:8b (Ollama) or meta-llama/Llama-3.1-8B-Instruct (vLLM).',
              minLength: 1,
              maxLength: 253,
            },
            version: {
              type: 'string',
              description:
                'Optional version or revision label, shown in the catalog.',
              maxLength: 128,
            },
            source: {
              type: 'string',
              description: 'Where the weights come from.',
              pattern: '^(hf|ollama|s3|pvc|https?)://.+',
            },
          },
        },
        models: {
          type: 'array',
          description:
            "The pool of models this deployment may serve, each with its own engine args and env (overriding the deployment's). A gateway request for one that is not running switches to it (single-model engines) or is served at once (Ollama).",
          maxItems: 32,
          items: {
            type: 'object',
            required: ['name'],
            properties: {
              name: {
                type: 'string',
                minLength: 1,
                maxLength: 253,
              },
              version: {
                type: 'string',
                maxLength: 128,
              },
              source: {
                type: 'string',
                pattern: '^(hf|ollama|s3|pvc|https?)://.+',
              },
              engineArgs: {
                type: 'array',
                maxItems: 128,
                items: {
                  type: 'string',
                  maxLength: 1024,
                },
              },
              env: {
                type: 'array',
                maxItems: 128,
                items: {
                  type: 'object',
                  required: ['name'],
                  properties: {
                    name: {
                      type: 'string',
                      pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
                      maxLength: 256,
                    },
                    value: {
                      type: 'string',
                      maxLength: 32768,
                    },
                    valueFrom: {
                      type: 'object',
                      properties: {
                        secretKeyRef: {
                          type: 'object',
                          required: ['name', 'key'],
                          properties: {
                            name: {
                              type: 'string',
                            },
                            key: {
                              type: 'string',
                            },
                          },
                        },
                        configMapKeyRef: {
                          type: 'object',
                          required: ['name', 'key'],
                          properties: {
                            name: {
                              type: 'string',
                            },
                            key: {
                              type: 'string',
                            },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        image: {
          type: 'string',
          description: "Container image; overrides the engine's default.",
          minLength: 1,
        },
        resources: {
          type: 'object',
          description: 'Per-replica resources.',
          properties: {
            gpu: {
              type: 'object',
              required: ['count'],
              properties: {
                count: {
                  type: 'integer',
                  description: 'GPUs per replica (0 for CPU-only).',
                  minimum: 0,
                  maximum: 16,
                },
                resource: {
                  type: 'string',
                  description:
                    'Extended resource name, nvidia.com/gpu or a MIG profile such as nvidia.com/mig-1g.10gb.',
                  default: 'nvidia.com/gpu',
                  pattern: '^nvidia\\.com/(gpu|mig-[1-7]g\\.[0-9]+gb)$',
                },
                product: {
                  type: 'string',
                  description:
                    'GPU product as labelled by GPU feature discovery (nvidia.com/gpu.product), e.g. NVIDIA-A100-SXM4-80GB.',
                  maxLength: 63,
                  pattern: '^[A-Za-z0-9][-A-Za-z0-9_.]*$',
                },
              },
            },
            cpu: {
              'x-kubernetes-int-or-string': true,
              description: 'CPU request and limit, e.g. 4 or 500m.',
              pattern: '^[0-9]+(\\.[0-9]+)?m?$',
            },
            memory: {
              'x-kubernetes-int-or-string': true,
              description: 'Memory request and limit, e.g. 16Gi.',
              pattern: '^[0-9]+(\\.[0-9]+)?([EPTGMK]i?|[mk])?$',
            },
          },
        },
        gpuSharing: {
          type: 'string',
          description:
            'exclusive gives each replica whole GPUs; timeSliced runs on nodes whose GPUs are shared by time-slicing.',
          enum: ['exclusive', 'timeSliced'],
          default: 'exclusive',
        },
        replicas: {
          type: 'integer',
          description:
            'Desired replicas. Written by the scale subresource and the autoscaler while autoscaling is enabled.',
          minimum: 0,
          maximum: 100,
          default: 1,
        },
        autoscaling: {
          type: 'object',
          required: ['enabled', 'maxReplicas'],
          'x-kubernetes-validations': [
            {
              rule: 'self.minReplicas <= self.maxReplicas',
              message:
                'autoscaling.minReplicas must not exceed autoscaling.maxReplicas',
            },
            {
              rule: 'self.minReplicas > 0 || has(self.scaleToZeroAfterSeconds)',
              message:
                'autoscaling.minReplicas 0 needs scaleToZeroAfterSeconds',
            },
            {
              rule: "self.metrics.all(m, m.type in ['cpu', 'memory']) || self.metrics.all(m, m.type in ['requestsInFlight', 'queueDepth'])",
              message:
                'autoscaling.metrics mixes cpu/memory (handled by an HPA) with requestsInFlight/queueDepth (handled by the built-in autoscaler); pick one kind',
            },
            {
              rule: "!has(self.scaleToZeroAfterSeconds) || self.metrics.all(m, m.type in ['requestsInFlight', 'queueDepth'])",
              message:
                'scaleToZeroAfterSeconds needs requestsInFlight or queueDepth metrics (a CPU or memory HPA cannot scale to zero)',
            },
          ],
          properties: {
            enabled: {
              type: 'boolean',
            },
            minReplicas: {
              type: 'integer',
              minimum: 0,
              maximum: 100,
              default: 1,
            },
            maxReplicas: {
              type: 'integer',
              minimum: 1,
              maximum: 100,
            },
            metrics: {
              type: 'array',
              description:
                'cpu and memory are handled by an HPA; requestsInFlight and queueDepth by the built-in autoscaler.',
              minItems: 1,
              maxItems: 4,
              default: [
                {
                  type: 'cpu',
                  target: 80,
                },
              ],
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['type'],
              items: {
                type: 'object',
                required: ['type', 'target'],
                properties: {
                  type: {
                    type: 'string',
                    enum: ['cpu', 'memory', 'requestsInFlight', 'queueDepth'],
                  },
                  target: {
                    type: 'integer',
                    description:
                      'Utilization in percent of the request for cpu and memory; value per replica for requestsInFlight and queueDepth.',
                    minimum: 1,
                    maximum: 1000,
                  },
                },
              },
            },
            scaleToZeroAfterSeconds: {
              type: 'integer',
              description:
                'Scale to zero after this many idle seconds; the gateway scales back from zero on the next request.',
              minimum: 30,
              maximum: 604800,
            },
            scaleUpStabilizationSeconds: {
              type: 'integer',
              minimum: 0,
              maximum: 3600,
              default: 60,
            },
            scaleDownStabilizationSeconds: {
              type: 'integer',
              minimum: 0,
              maximum: 3600,
              default: 300,
            },
          },
        },
        switching: {
          type: 'object',
          properties: {
            strategy: {
              type: 'string',
              description:
                'recreate frees the GPU first (scale to 0, switch, scale back); rolling starts the new model first when GPUs are free.',
              enum: ['recreate', 'rolling'],
              default: 'recreate',
            },
            timeoutSeconds: {
              type: 'integer',
              minimum: 10,
              maximum: 7200,
              default: 900,
            },
            minResidencySeconds: {
              type: 'integer',
              description:
                'How long a model stays after a switch on request before requests for another model of the pool switch again (no thrashing).',
              minimum: 0,
              maximum: 86400,
              default: 60,
            },
          },
        },
        probes: {
          type: 'object',
          description:
            "Timings of the pod's probes, overriding the engine's (their paths stay the engine's, or healthCheck.path for http).",
          properties: {
            startup: {
              type: 'object',
              properties: {
                initialDelaySeconds: {
                  type: 'integer',
                  minimum: 0,
                  maximum: 3600,
                },
                periodSeconds: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 3600,
                },
                timeoutSeconds: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 600,
                },
                failureThreshold: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 1000,
                },
                successThreshold: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 10,
                },
              },
            },
            readiness: {
              type: 'object',
              properties: {
                initialDelaySeconds: {
                  type: 'integer',
                  minimum: 0,
                  maximum: 3600,
                },
                periodSeconds: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 3600,
                },
                timeoutSeconds: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 600,
                },
                failureThreshold: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 1000,
                },
                successThreshold: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 10,
                },
              },
            },
            liveness: {
              type: 'object',
              properties: {
                initialDelaySeconds: {
                  type: 'integer',
                  minimum: 0,
                  maximum: 3600,
                },
                periodSeconds: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 3600,
                },
                timeoutSeconds: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 600,
                },
                failureThreshold: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 1000,
                },
                successThreshold: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 10,
                },
              },
            },
          },
        },
        healthCheck: {
          type: 'object',
          properties: {
            intervalSeconds: {
              type: 'integer',
              minimum: 5,
              maximum: 3600,
              default: 30,
            },
            failureThreshold: {
              type: 'integer',
              description:
                'Consecutive failed checks before the pods are restarted.',
              minimum: 1,
              maximum: 100,
              default: 3,
            },
            expectedModels: {
              type: 'array',
              description:
                'Models that must be present (Ollama); missing ones are pulled when autoPull is on.',
              maxItems: 64,
              items: {
                type: 'string',
                minLength: 1,
                maxLength: 253,
              },
            },
            autoPull: {
              type: 'boolean',
              default: false,
            },
            path: {
              type: 'string',
              description:
                "Health path for the http engine. Absolute, plain segments only - no '.' or '..' segments, percent-encoding, query or fragment.",
              maxLength: 256,
              pattern: "^(/[A-Za-z0-9._~!$&'()*+,;=:@-]*)+$",
              'x-kubernetes-validations': [
                {
                  rule: "!self.split('/').exists(s, s == '.' || s == '..')",
                  message:
                    "healthCheck.path may not contain '.' or '..' segments",
                },
              ],
            },
            inferenceTest: {
              type: 'object',
              properties: {
                enabled: {
                  type: 'boolean',
                  default: false,
                },
                prompt: {
                  type: 'string',
                  maxLength: 4096,
                },
                timeoutSeconds: {
                  type: 'integer',
                  minimum: 1,
                  maximum: 600,
                  default: 30,
                },
              },
            },
          },
        },
        engineArgs: {
          type: 'array',
          description: "Extra arguments appended to the engine's defaults.",
          maxItems: 128,
          items: {
            type: 'string',
            maxLength: 1024,
          },
        },
        env: {
          type: 'array',
          maxItems: 128,
          items: {
            type: 'object',
            required: ['name'],
            properties: {
              name: {
                type: 'string',
                pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
                maxLength: 256,
              },
              value: {
                type: 'string',
                maxLength: 32768,
              },
              valueFrom: {
                type: 'object',
                properties: {
                  secretKeyRef: {
                    type: 'object',
                    required: ['name', 'key'],
                    properties: {
                      name: {
                        type: 'string',
                      },
                      key: {
                        type: 'string',
                      },
                    },
                  },
                  configMapKeyRef: {
                    type: 'object',
                    required: ['name', 'key'],
                    properties: {
                      name: {
                        type: 'string',
                      },
                      key: {
                        type: 'string',
                      },
                    },
                  },
                },
              },
            },
          },
        },
        storage: {
          type: 'object',
          description:
            'Where the deployment keeps model files and how they get there (see the README, Model storage).',
          'x-kubernetes-validations': [
            {
              rule: "!has(self.cache) || self.cache.type != 'pvc' || has(self.cache.size) || has(self.cache.claimName)",
              message:
                'storage.cache of type pvc needs size (a new claim) or claimName (an existing claim)',
            },
            {
              rule: "!has(self.cache) || !has(self.cache.claimName) || self.cache.type == 'pvc'",
              message: 'storage.cache.claimName needs type pvc',
            },
            {
              rule: '!has(self.cache) || !has(self.cache.claimName) || (!has(self.cache.storageClassName) && !has(self.cache.size) && !has(self.cache.accessMode))',
              message:
                "storage.cache.claimName names an existing claim: its size, storageClassName and accessMode are the claim's own",
            },
          ],
          properties: {
            cache: {
              type: 'object',
              properties: {
                type: {
                  type: 'string',
                  description:
                    'pvc keeps models across restarts and switches (a claim the reconciler creates, or claimName); emptyDir lasts as long as the pod.',
                  enum: ['pvc', 'emptyDir'],
                  default: 'emptyDir',
                },
                size: {
                  type: 'string',
                  description:
                    "Size of a new claim, or the emptyDir's limit, e.g. 100Gi.",
                  pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|K|M|G|T|P)?$',
                },
                storageClassName: {
                  type: 'string',
                  maxLength: 253,
                  pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
                },
                accessMode: {
                  type: 'string',
                  description:
                    'ReadWriteMany shares one claim between replicas; ReadWriteOnce holds replicas to one node.',
                  enum: ['ReadWriteOnce', 'ReadWriteMany'],
                },
                claimName: {
                  type: 'string',
                  maxLength: 253,
                  pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
                },
                retain: {
                  type: 'boolean',
                  description:
                    'Keep a claim the reconciler created when the deployment is deleted.',
                  default: false,
                },
              },
            },
            credentials: {
              type: 'object',
              description:
                'A Secret (allowed for the namespace) holding HF_TOKEN and/or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
              required: ['secretName'],
              properties: {
                secretName: {
                  type: 'string',
                  maxLength: 253,
                  pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
                },
              },
            },
            s3: {
              type: 'object',
              description:
                'An S3-compatible store for s3:// sources (MinIO and others).',
              properties: {
                endpoint: {
                  type: 'string',
                  pattern: '^https?://[^/?#]+/?$',
                },
                region: {
                  type: 'string',
                  maxLength: 64,
                },
                pathStyle: {
                  type: 'boolean',
                },
              },
            },
            preload: {
              type: 'array',
              description:
                'Models of the pool fetched ahead of time, so the first switch to them is fast.',
              maxItems: 32,
              items: {
                type: 'string',
              },
            },
            shmSize: {
              type: 'string',
              description:
                'Size of /dev/shm (memory), for tensor parallelism; vLLM on several GPUs gets 8Gi per GPU unless set.',
              pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti)$',
            },
          },
        },
        nodeSelector: {
          type: 'object',
          additionalProperties: {
            type: 'string',
          },
        },
        tolerations: {
          type: 'array',
          maxItems: 32,
          items: {
            type: 'object',
            properties: {
              key: {
                type: 'string',
              },
              operator: {
                type: 'string',
                enum: ['Exists', 'Equal'],
              },
              value: {
                type: 'string',
              },
              effect: {
                type: 'string',
                enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'],
              },
              tolerationSeconds: {
                type: 'integer',
              },
            },
          },
        },
      },
    },
    status: {
      type: 'object',
      description: 'What is running, written by the reconciler.',
      properties: {
        phase: {
          type: 'string',
          enum: [
            'Pending',
            'Deploying',
            'Ready',
            'Switching',
            'ScaledToZero',
            'Degraded',
            'Failed',
          ],
        },
        activeModel: {
          type: 'string',
          description: 'The model the running pods serve.',
        },
        replicas: {
          type: 'integer',
        },
        readyReplicas: {
          type: 'integer',
        },
        selector: {
          type: 'string',
          description: 'Label selector of the pods, for the scale subresource.',
        },
        observedGeneration: {
          type: 'integer',
        },
        endpoint: {
          type: 'string',
          description: 'In-cluster URL of the Service.',
        },
        modelCache: {
          type: 'object',
          description:
            'What the model loader reported when the running pods started.',
          properties: {
            hit: {
              type: 'boolean',
              description: 'Every model was in the cache already.',
            },
            loadSeconds: {
              type: 'number',
            },
            bytes: {
              type: 'integer',
              description: "Size of the running model's files.",
            },
            reportedAt: {
              type: 'string',
              format: 'date-time',
            },
          },
        },
        conditions: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['type'],
          items: {
            type: 'object',
            required: ['type', 'status'],
            properties: {
              type: {
                type: 'string',
                description: 'Ready, Healthy, Scheduled or Progressing.',
              },
              status: {
                type: 'string',
                enum: ['True', 'False', 'Unknown'],
              },
              reason: {
                type: 'string',
              },
              message: {
                type: 'string',
              },
              lastTransitionTime: {
                type: 'string',
                format: 'date-time',
              },
              observedGeneration: {
                type: 'integer',
              },
            },
          },
        },
        lastHealthCheck: {
          type: 'object',
          properties: {
            time: {
              type: 'string',
              format: 'date-time',
            },
            healthy: {
              type: 'boolean',
            },
            message: {
              type: 'string',
            },
          },
        },
        switch: {
          type: 'object',
          description:
            'A model switch in progress; kept here so that a backend restart loses nothing.',
          required: ['from', 'to', 'strategy', 'startedAt'],
          properties: {
            from: {
              type: 'string',
            },
            to: {
              type: 'string',
            },
            strategy: {
              type: 'string',
              enum: ['recreate', 'rolling'],
            },
            step: {
              type: 'string',
              enum: ['ScalingDown', 'Starting'],
              description:
                'recreate: ScalingDown frees the GPUs, Starting runs the new model.',
            },
            startedAt: {
              type: 'string',
              format: 'date-time',
            },
            trigger: {
              type: 'string',
              enum: ['request', 'action'],
            },
          },
        },
        lastSwitch: {
          type: 'object',
          properties: {
            from: {
              type: 'string',
            },
            to: {
              type: 'string',
            },
            strategy: {
              type: 'string',
              enum: ['recreate', 'rolling'],
            },
            seconds: {
              type: 'number',
            },
            finishedAt: {
              type: 'string',
              format: 'date-time',
            },
            trigger: {
              type: 'string',
              enum: ['request', 'action'],
            },
            cacheHit: {
              type: 'boolean',
              description:
                'The new model was in the cache already (no download).',
            },
            loadSeconds: {
              type: 'number',
              description: 'How long the model loader took for it.',
            },
          },
        },
        switchQueue: {
          type: 'array',
          description:
            'Models of the pool that gateway requests are waiting for, oldest first.',
          maxItems: 32,
          items: {
            type: 'object',
            required: ['model', 'requestedAt', 'waiting'],
            properties: {
              model: {
                type: 'string',
              },
              requestedAt: {
                type: 'string',
                format: 'date-time',
              },
              waiting: {
                type: 'integer',
              },
            },
          },
        },
      },
    },
  },
} as const;

/**
 * What should run. The reconciler makes the cluster match it.
 */
export interface ModelDeploymentSpec {
  /**
   * Backstage owner of the catalog entities, an entity reference such as group:default/ml-platform.
   */
  owner: string;
  /**
   * Engine adapter that decides image, arguments, port, probes and health calls. Built in - vllm, ollama, openai (any OpenAI-compatible server), http (a V2 inference predictor); a backend module can add more (see the engines extension point), and the backend refuses names it does not know.
   */
  engine: string;
  /**
   * The model to serve.
   */
  model: {
    /**
     * Model name as the engine knows it, e.g. llama3.1:8b (Ollama) or meta-llama/Llama-3.1-8B-Instruct (vLLM).
     */
    name: string;
    /**
     * Optional version or revision label, shown in the catalog.
     */
    version?: string;
    /**
     * Where the weights come from.
     */
    source?: string;
  };
  /**
   * The pool of models this deployment may serve, each with its own engine args and env (overriding the deployment's). A gateway request for one that is not running switches to it (single-model engines) or is served at once (Ollama).
   *
   * @maxItems 32
   */
  models?: {
    name: string;
    version?: string;
    source?: string;
    /**
     * @maxItems 128
     */
    engineArgs?: string[];
    /**
     * @maxItems 128
     */
    env?: {
      name: string;
      value?: string;
      valueFrom?: {
        secretKeyRef?: {
          name: string;
          key: string;
        };
        configMapKeyRef?: {
          name: string;
          key: string;
        };
      };
    }[];
  }[];
  /**
   * Container image; overrides the engine's default.
   */
  image?: string;
  /**
   * Per-replica resources.
   */
  resources?: {
    gpu?: {
      /**
       * GPUs per replica (0 for CPU-only).
       */
      count: number;
      /**
       * Extended resource name, nvidia.com/gpu or a MIG profile such as nvidia.com/mig-1g.10gb.
       */
      resource?: string;
      /**
       * GPU product as labelled by GPU feature discovery (nvidia.com/gpu.product), e.g. NVIDIA-A100-SXM4-80GB.
       */
      product?: string;
    };
    /**
     * CPU request and limit, e.g. 4 or 500m.
     */
    cpu?: number | string;
    /**
     * Memory request and limit, e.g. 16Gi.
     */
    memory?: number | string;
  };
  /**
   * exclusive gives each replica whole GPUs; timeSliced runs on nodes whose GPUs are shared by time-slicing.
   */
  gpuSharing?: 'exclusive' | 'timeSliced';
  /**
   * Desired replicas. Written by the scale subresource and the autoscaler while autoscaling is enabled.
   */
  replicas?: number;
  autoscaling?: {
    enabled: boolean;
    minReplicas?: number;
    maxReplicas: number;
    /**
     * cpu and memory are handled by an HPA; requestsInFlight and queueDepth by the built-in autoscaler.
     *
     * @minItems 1
     * @maxItems 4
     */
    metrics?: {
      type: 'cpu' | 'memory' | 'requestsInFlight' | 'queueDepth';
      /**
       * Utilization in percent of the request for cpu and memory; value per replica for requestsInFlight and queueDepth.
       */
      target: number;
    }[];
    /**
     * Scale to zero after this many idle seconds; the gateway scales back from zero on the next request.
     */
    scaleToZeroAfterSeconds?: number;
    scaleUpStabilizationSeconds?: number;
    scaleDownStabilizationSeconds?: number;
  };
  switching?: {
    /**
     * recreate frees the GPU first (scale to 0, switch, scale back); rolling starts the new model first when GPUs are free.
     */
    strategy?: 'recreate' | 'rolling';
    timeoutSeconds?: number;
    /**
     * How long a model stays after a switch on request before requests for another model of the pool switch again (no thrashing).
     */
    minResidencySeconds?: number;
  };
  /**
   * Timings of the pod's probes, overriding the engine's (their paths stay the engine's, or healthCheck.path for http).
   */
  probes?: {
    startup?: {
      initialDelaySeconds?: number;
      periodSeconds?: number;
      timeoutSeconds?: number;
      failureThreshold?: number;
      successThreshold?: number;
    };
    readiness?: {
      initialDelaySeconds?: number;
      periodSeconds?: number;
      timeoutSeconds?: number;
      failureThreshold?: number;
      successThreshold?: number;
    };
    liveness?: {
      initialDelaySeconds?: number;
      periodSeconds?: number;
      timeoutSeconds?: number;
      failureThreshold?: number;
      successThreshold?: number;
    };
  };
  healthCheck?: {
    intervalSeconds?: number;
    /**
     * Consecutive failed checks before the pods are restarted.
     */
    failureThreshold?: number;
    /**
     * Models that must be present (Ollama); missing ones are pulled when autoPull is on.
     *
     * @maxItems 64
     */
    expectedModels?: string[];
    autoPull?: boolean;
    /**
     * Health path for the http engine. Absolute, plain segments only - no '.' or '..' segments, percent-encoding, query or fragment.
     */
    path?: string;
    inferenceTest?: {
      enabled?: boolean;
      prompt?: string;
      timeoutSeconds?: number;
    };
  };
  /**
   * Extra arguments appended to the engine's defaults.
   *
   * @maxItems 128
   */
  engineArgs?: string[];
  /**
   * @maxItems 128
   */
  env?: {
    name: string;
    value?: string;
    valueFrom?: {
      secretKeyRef?: {
        name: string;
        key: string;
      };
      configMapKeyRef?: {
        name: string;
        key: string;
      };
    };
  }[];
  /**
   * Where the deployment keeps model files and how they get there (see the README, Model storage).
   */
  storage?: {
    cache?: {
      /**
       * pvc keeps models across restarts and switches (a claim the reconciler creates, or claimName); emptyDir lasts as long as the pod.
       */
      type?: 'pvc' | 'emptyDir';
      /**
       * Size of a new claim, or the emptyDir's limit, e.g. 100Gi.
       */
      size?: string;
      storageClassName?: string;
      /**
       * ReadWriteMany shares one claim between replicas; ReadWriteOnce holds replicas to one node.
       */
      accessMode?: 'ReadWriteOnce' | 'ReadWriteMany';
      claimName?: string;
      /**
       * Keep a claim the reconciler created when the deployment is deleted.
       */
      retain?: boolean;
    };
    /**
     * A Secret (allowed for the namespace) holding HF_TOKEN and/or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
     */
    credentials?: {
      secretName: string;
    };
    /**
     * An S3-compatible store for s3:// sources (MinIO and others).
     */
    s3?: {
      endpoint?: string;
      region?: string;
      pathStyle?: boolean;
    };
    /**
     * Models of the pool fetched ahead of time, so the first switch to them is fast.
     *
     * @maxItems 32
     */
    preload?: string[];
    /**
     * Size of /dev/shm (memory), for tensor parallelism; vLLM on several GPUs gets 8Gi per GPU unless set.
     */
    shmSize?: string;
  };
  nodeSelector?: {
    [k: string]: string;
  };
  /**
   * @maxItems 32
   */
  tolerations?: {
    key?: string;
    operator?: 'Exists' | 'Equal';
    value?: string;
    effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
    tolerationSeconds?: number;
  }[];
}

/**
 * What is running, written by the reconciler.
 */
export interface ModelDeploymentStatus {
  phase?:
    | 'Pending'
    | 'Deploying'
    | 'Ready'
    | 'Switching'
    | 'ScaledToZero'
    | 'Degraded'
    | 'Failed';
  /**
   * The model the running pods serve.
   */
  activeModel?: string;
  replicas?: number;
  readyReplicas?: number;
  /**
   * Label selector of the pods, for the scale subresource.
   */
  selector?: string;
  observedGeneration?: number;
  /**
   * In-cluster URL of the Service.
   */
  endpoint?: string;
  /**
   * What the model loader reported when the running pods started.
   */
  modelCache?: {
    /**
     * Every model was in the cache already.
     */
    hit?: boolean;
    loadSeconds?: number;
    /**
     * Size of the running model's files.
     */
    bytes?: number;
    reportedAt?: string;
  };
  conditions?: {
    /**
     * Ready, Healthy, Scheduled or Progressing.
     */
    type: string;
    status: 'True' | 'False' | 'Unknown';
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
    observedGeneration?: number;
  }[];
  lastHealthCheck?: {
    time?: string;
    healthy?: boolean;
    message?: string;
  };
  /**
   * A model switch in progress; kept here so that a backend restart loses nothing.
   */
  switch?: {
    from: string;
    to: string;
    strategy: 'recreate' | 'rolling';
    /**
     * recreate: ScalingDown frees the GPUs, Starting runs the new model.
     */
    step?: 'ScalingDown' | 'Starting';
    startedAt: string;
    trigger?: 'request' | 'action';
  };
  lastSwitch?: {
    from?: string;
    to?: string;
    strategy?: 'recreate' | 'rolling';
    seconds?: number;
    finishedAt?: string;
    trigger?: 'request' | 'action';
    /**
     * The new model was in the cache already (no download).
     */
    cacheHit?: boolean;
    /**
     * How long the model loader took for it.
     */
    loadSeconds?: number;
  };
  /**
   * Models of the pool that gateway requests are waiting for, oldest first.
   *
   * @maxItems 32
   */
  switchQueue?: {
    model: string;
    requestedAt: string;
    waiting: number;
  }[];
}
