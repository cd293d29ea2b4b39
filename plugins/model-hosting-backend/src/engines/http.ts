import { configEnv, configMapName, EngineAdapter, httpGet } from './types';

const PORT = 8080;

/** A plain HTTP predictor; by default MLServer, which serves scikit-learn, XGBoost and MLflow models. */
export const httpEngine: EngineAdapter = {
  engine: 'http',
  apiKind: 'http',
  defaultImage: 'seldonio/mlserver:1.6.1',
  port: PORT,
  config: (_md, model) => ({
    MODEL_NAME: model.name,
    MODEL_VERSION: model.version ?? '',
    MODEL_URI: model.source ?? '',
    MLSERVER_MODEL_NAME: model.name,
    MLSERVER_MODEL_URI: model.source ?? '',
    MLSERVER_HTTP_PORT: String(PORT),
  }),
  container: (md, model) => {
    const path = md.spec.healthCheck?.path ?? '/v2/health/ready';
    return {
      image: md.spec.image ?? httpEngine.defaultImage,
      port: PORT,
      args: [...(md.spec.engineArgs ?? [])],
      env: configEnv(
        Object.keys(httpEngine.config(md, model)),
        configMapName(md),
        md,
      ),
      startupProbe: httpGet(path, PORT, 5, 60),
      readinessProbe: httpGet(path, PORT, 10, 3),
      livenessProbe: httpGet(path, PORT, 30, 3),
    };
  },
};
