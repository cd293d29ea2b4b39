import { Entity } from '@backstage/catalog-model';
import {
  deploymentEntityName,
  DeploymentResource,
  normalizeOwnerRef,
  refOf,
  servedModel,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { apiDefinition } from './apiDefinitions';

const MAX_NAME = 63;

/** The Resource entity name of a model: one per model name, shared by every server of it. */
export function modelEntityName(model: string): string {
  const slug = model
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '');
  return slug.length <= MAX_NAME ? slug || 'model' : slug.slice(0, MAX_NAME);
}

const engineTitle: Record<string, string> = {
  vllm: 'vLLM',
  ollama: 'Ollama',
  openai: 'OpenAI-compatible',
  http: 'HTTP predictor',
};

/**
 * The catalog's view of one ModelDeployment: a model-server Component that depends on its model
 * (Resource, ai-model) and provides its API. The annotations let the stock Kubernetes tab find it.
 */
export function entitiesFor(item: DeploymentResource): {
  component: Entity;
  api: Entity;
  model: Entity;
} {
  const md = item.resource;
  const ref = refOf(item.cluster, md);
  const name = deploymentEntityName(ref);
  const apiName = deploymentEntityName({ ...ref, name: `${ref.name}-api` });
  const owner = normalizeOwnerRef(md.spec.owner);
  const model = servedModel(md);
  const endpoint = item.endpoint;
  const location = `model-hosting:${ref.cluster}/${ref.namespace}/${ref.name}`;
  const annotations = {
    'backstage.io/managed-by-location': location,
    'backstage.io/managed-by-origin-location': location,
  };
  const gpu = md.spec.resources?.gpu;

  const component: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      title: ref.name,
      description: `${
        engineTitle[md.spec.engine] ?? md.spec.engine
      } server for ${model} on cluster ${ref.cluster}, namespace ${
        ref.namespace
      }.`,
      annotations: {
        ...annotations,
        'backstage.io/kubernetes-id': ref.name,
        'backstage.io/kubernetes-namespace': ref.namespace,
        'backstage.io/kubernetes-cluster': ref.cluster,
        'modelhosting.io/cluster': ref.cluster,
        'modelhosting.io/namespace': ref.namespace,
        'modelhosting.io/name': ref.name,
      },
      tags: [md.spec.engine, gpu && gpu.count > 0 ? 'gpu' : 'cpu'],
      links: [{ url: endpoint, title: 'In-cluster endpoint' }],
    },
    spec: {
      type: 'model-server',
      lifecycle:
        md.metadata.labels?.['modelhosting.io/lifecycle'] ?? 'production',
      owner,
      dependsOn: [`resource:default/${modelEntityName(model)}`],
      providesApis: [`api:default/${apiName}`],
    },
  };

  const api: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'API',
    metadata: {
      name: apiName,
      title: `${ref.name} API`,
      description: `The API of ${ref.name} (${model}).`,
      annotations,
    },
    spec: {
      type: 'openapi',
      lifecycle: component.spec!.lifecycle,
      owner,
      definition: apiDefinition(item.apiKind, endpoint, model),
    },
  };

  const modelEntity: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: modelEntityName(model),
      title: model,
      description: `The model ${model}.`,
      annotations: {
        ...annotations,
        'modelhosting.io/model': model,
        ...(md.spec.model.source && model === md.spec.model.name
          ? { 'modelhosting.io/source': md.spec.model.source }
          : {}),
        ...(md.spec.model.version && model === md.spec.model.name
          ? { 'modelhosting.io/version': md.spec.model.version }
          : {}),
      },
    },
    spec: { type: 'ai-model', owner },
  };

  return { component, api, model: modelEntity };
}
