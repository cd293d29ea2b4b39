import { modelLocalPath } from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  configEnv,
  EngineAdapter,
  getOk,
  httpGetProbe,
  runProbe,
} from '@modelhosting/backstage-plugin-model-hosting-node';

const PORT = 8080;

/** The model's files: in the cache when the loader fetched them, else the source itself. */
const localUri = (model: { source?: string; version?: string }) =>
  modelLocalPath(model, '/mnt/models') ?? model.source ?? '';
const healthPath = (path?: string) => path ?? '/v2/health/ready';

/** A plain HTTP predictor; by default MLServer, which serves scikit-learn, XGBoost and MLflow models. */
export const httpEngine: EngineAdapter = {
  engine: 'http',
  title: 'HTTP predictor',
  apiKind: 'http',
  defaultImage: 'seldonio/mlserver:1.6.1',
  port: PORT,
  metering: 'gateway',
  // Where KServe and MLServer look for model files.
  cacheMountPath: '/mnt/models',
  config: (_md, model) => ({
    MODEL_NAME: model.name,
    MODEL_VERSION: model.version ?? '',
    MODEL_URI: localUri(model),
    MLSERVER_MODEL_NAME: model.name,
    MLSERVER_MODEL_URI: localUri(model),
    MLSERVER_HTTP_PORT: String(PORT),
  }),
  container: (md, model) => {
    const path = healthPath(md.spec.healthCheck?.path);
    return {
      image: md.spec.image ?? httpEngine.defaultImage,
      port: PORT,
      args: [...(md.spec.engineArgs ?? [])],
      env: configEnv(Object.keys(httpEngine.config(md, model)), md),
      startupProbe: httpGetProbe(path, PORT, 5, 60),
      readinessProbe: httpGetProbe(path, PORT, 10, 3),
      livenessProbe: httpGetProbe(path, PORT, 30, 3),
      // MLServer's image runs as user 1000; another image may not.
      runAsUser: md.spec.image ? undefined : 1000,
    };
  },
  probe: (call, md) =>
    runProbe(async () => {
      const path = healthPath(md.spec.healthCheck?.path);
      const status = await getOk(call, path);
      return {
        healthy: true,
        message: `GET ${path} answered ${status}`,
        pulled: [],
      };
    }),
};
