import fetch from 'node-fetch';

/** GPU utilization per pod (percent), as NVIDIA's DCGM exporter reports it to Prometheus. */
export class PrometheusGpu {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly query = 'avg by (namespace, pod) (DCGM_FI_DEV_GPU_UTIL)',
  ) {}

  /** Map of "namespace/pod" to utilization; throws with the reason when Prometheus cannot answer. */
  async utilizationByPod(): Promise<Map<string, number>> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let text: string;
    try {
      const res = await fetch(
        `${this.baseUrl.replace(
          /\/$/,
          '',
        )}/api/v1/query?query=${encodeURIComponent(this.query)}`,
        { signal: controller.signal as any },
      );
      text = await res.text();
      if (!res.ok)
        throw new Error(
          `Prometheus answered ${res.status}: ${text.slice(0, 200)}`,
        );
    } catch (e) {
      if (controller.signal.aborted)
        throw new Error(
          `Prometheus did not answer within ${this.timeoutMs} ms`,
        );
      throw new Error(`Prometheus is unreachable: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    let body: any;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new Error(
        `Prometheus returned malformed JSON: ${(e as Error).message}`,
      );
    }
    if (
      body?.status !== 'success' ||
      body?.data?.resultType !== 'vector' ||
      !Array.isArray(body.data.result)
    ) {
      throw new Error(
        `Prometheus query failed: ${body?.error ?? 'not an instant vector'}`,
      );
    }
    const out = new Map<string, number>();
    for (const sample of body.data.result) {
      const value = Number(sample?.value?.[1]);
      if (
        sample?.metric?.namespace &&
        sample?.metric?.pod &&
        Number.isFinite(value)
      ) {
        out.set(`${sample.metric.namespace}/${sample.metric.pod}`, value);
      }
    }
    return out;
  }
}
