import { parseMetrics, sumSamples } from './prometheus';

describe('parseMetrics', () => {
  it('reads counters, gauges and labelled histograms as vLLM writes them', () => {
    const metrics = parseMetrics(
      [
        '# HELP vllm:num_requests_running Number of requests currently running on GPU.',
        '# TYPE vllm:num_requests_running gauge',
        'vllm:num_requests_running{model_name="a"} 3.0',
        'vllm:request_success_total{finished_reason="stop",model_name="a"} 5',
        'vllm:request_success_total{finished_reason="length",model_name="a"} 2 1395066363000',
        'vllm:e2e_request_latency_seconds_bucket{le="+Inf",model_name="a"} 7',
        'vllm:e2e_request_latency_seconds_sum{model_name="a"} 2.5',
        'vllm:e2e_request_latency_seconds_count{model_name="a"} 7',
        'process_start_time_seconds 1.7e9',
      ].join('\n'),
    );
    expect(sumSamples(metrics, 'vllm:num_requests_running')).toBe(3);
    expect(sumSamples(metrics, 'vllm:request_success_total')).toBe(7);
    expect(sumSamples(metrics, 'vllm:e2e_request_latency_seconds_sum')).toBe(
      2.5,
    );
    expect(sumSamples(metrics, 'vllm:e2e_request_latency_seconds_count')).toBe(
      7,
    );
    expect(
      metrics.get('vllm:e2e_request_latency_seconds_bucket')?.[0].labels.le,
    ).toBe('+Inf');
    expect(sumSamples(metrics, 'process_start_time_seconds')).toBe(1.7e9);
  });

  it('unescapes label values and keeps a name apart from its longer cousins', () => {
    const metrics = parseMetrics(
      'x{path="C:\\\\DIR",msg="a \\"b\\"\\n"} 2\nxy 100\nx 1\n',
    );
    expect(metrics.get('x')).toEqual([
      { labels: { path: 'C:\\DIR', msg: 'a "b"\n' }, value: 2 },
      { labels: {}, value: 1 },
    ]);
    expect(sumSamples(metrics, 'x')).toBe(3);
  });

  it('skips what does not parse instead of trusting it', () => {
    const metrics = parseMetrics(
      'ok 1\n{bad} 2\nx{a="unterminated} 3\ny notanumber\nz{a="1"} +Inf\n',
    );
    expect([...metrics.keys()]).toEqual(['ok', 'z']);
    expect(sumSamples(metrics, 'z')).toBeUndefined(); // not finite
    expect(sumSamples(metrics, 'missing')).toBeUndefined();
  });
});
