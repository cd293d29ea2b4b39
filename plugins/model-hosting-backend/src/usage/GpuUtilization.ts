import { LoggerService } from '@backstage/backend-plugin-api';
import { servedModel } from '@modelhosting/backstage-plugin-model-hosting-common';
import { V1Pod } from '@kubernetes/client-node';
import { DeploymentEntry } from '../deployments/ModelDeployments';
import { PrometheusGpu } from './PrometheusGpu';
import { UsageStore } from './UsageStore';

/**
 * GPU utilization in the usage buckets: one Prometheus query (DCGM exporter metrics) per health
 * round, averaged over each deployment's pods. Prometheus down is a failed measurement with its
 * reason, shown beside the charts; it never fails the round.
 */
export class GpuUtilization {
  private lastError?: string;

  constructor(
    private readonly deployments: {
      all(): DeploymentEntry[];
      pods(entry: DeploymentEntry): V1Pod[];
    },
    private readonly usage: UsageStore,
    private readonly logger: LoggerService,
    private readonly prometheus?: PrometheusGpu,
  ) {}

  /** Whether a source is configured, and why the last query failed. */
  get state() {
    return { configured: !!this.prometheus, error: this.lastError };
  }

  async sample() {
    if (!this.prometheus) return;
    let byPod: Map<string, number>;
    try {
      byPod = await this.prometheus.utilizationByPod();
      this.lastError = undefined;
    } catch (e) {
      this.lastError = (e as Error).message;
      this.logger.warn(`GPU utilization unavailable: ${this.lastError}`);
      return;
    }
    for (const entry of this.deployments.all()) {
      const samples = this.deployments
        .pods(entry)
        .map(p => byPod.get(`${p.metadata?.namespace}/${p.metadata?.name}`))
        .filter((v): v is number => v !== undefined);
      if (!samples.length) continue;
      await this.usage.add(entry.ref, servedModel(entry.md), {
        gpuUtilization: samples.reduce((a, b) => a + b, 0) / samples.length,
      });
    }
  }
}
