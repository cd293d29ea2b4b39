export interface Config {
  modelHosting?: {
    catalog?: {
      /** Minutes between full resyncs of the model-hosting entities into the catalog. Default 10. */
      resyncMinutes?: number;
    };
  };
}
