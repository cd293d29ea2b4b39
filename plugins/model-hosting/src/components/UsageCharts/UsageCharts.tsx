import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  DeploymentRef,
  UsagePoint,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { Box, Grid, Typography } from '@material-ui/core';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import { useState } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { modelHostingApiRef, UsageRange } from '../../api';
import { usePolling } from '../../hooks/usePolling';

const label = (range: UsageRange) => (t: string) => {
  const d = new Date(t);
  return range === '7d'
    ? d.toLocaleDateString(undefined, { weekday: 'short', hour: '2-digit' })
    : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
};

function Chart({
  title,
  children,
}: {
  title: string;
  children: React.ReactElement;
}) {
  return (
    <Grid item xs={12} md={4}>
      <Typography variant="subtitle2" component="h3">
        {title}
      </Typography>
      <Box height={200} role="img" aria-label={`${title} chart`}>
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </Box>
    </Grid>
  );
}

/** Requests, errors, latency and tokens over 1 h, 24 h or 7 d, from the usage API. */
export function UsageCharts({
  deploymentRef,
}: {
  deploymentRef?: DeploymentRef;
}) {
  const api = useApi(modelHostingApiRef);
  const [range, setRange] = useState<UsageRange>('24h');
  const { value, error, loading } = usePolling(
    () => api.getUsage(deploymentRef, range),
    [
      api,
      range,
      deploymentRef?.cluster,
      deploymentRef?.namespace,
      deploymentRef?.name,
    ],
    30_000,
  );
  const series: UsagePoint[] = value?.series ?? [];
  const empty = series.every(
    p =>
      p.requests === 0 &&
      p.errors === 0 &&
      p.pulls === 0 &&
      p.promptTokens === 0 &&
      p.gpuUtilization === undefined,
  );
  const gpu = value?.gpuUtilization?.configured;
  const x = <XAxis dataKey="t" tickFormatter={label(range)} minTickGap={24} />;
  return (
    <InfoCard
      title="Usage"
      subheader={
        value?.lastUsed
          ? `Last used ${new Date(value.lastUsed).toLocaleString()}`
          : undefined
      }
      action={
        <ToggleButtonGroup
          size="small"
          exclusive
          value={range}
          onChange={(_e, v) => v && setRange(v)}
          aria-label="Time range"
        >
          <ToggleButton value="1h" aria-label="Last hour">
            1 h
          </ToggleButton>
          <ToggleButton value="24h" aria-label="Last 24 hours">
            24 h
          </ToggleButton>
          <ToggleButton value="7d" aria-label="Last 7 days">
            7 d
          </ToggleButton>
        </ToggleButtonGroup>
      }
    >
      {value?.gpuUtilization?.error && (
        <WarningPanel
          severity="warning"
          title="GPU utilization unavailable"
          message={value.gpuUtilization.error}
        />
      )}
      {loading && !value && <Progress />}
      {error && !value && <ResponseErrorPanel error={error} />}
      {value && empty && (
        <EmptyState
          missing="data"
          title="No usage recorded in this range yet"
          description="Requests, errors, latency and tokens appear here once the engine reports them (vLLM metrics, pulls, the gateway)."
        />
      )}
      {value && !empty && (
        <Grid container spacing={2}>
          <Chart title="Requests and errors">
            <BarChart data={series}>
              <CartesianGrid strokeDasharray="3 3" />
              {x}
              <YAxis allowDecimals={false} />
              <Tooltip labelFormatter={label(range)} />
              <Legend />
              <Bar
                dataKey="requests"
                name="Requests"
                fill="#3f51b5"
                isAnimationActive={false}
              />
              <Bar
                dataKey="errors"
                name="Errors"
                fill="#f44336"
                isAnimationActive={false}
              />
            </BarChart>
          </Chart>
          <Chart title="Latency (mean, ms)">
            <LineChart data={series}>
              <CartesianGrid strokeDasharray="3 3" />
              {x}
              <YAxis />
              <Tooltip labelFormatter={label(range)} />
              <Line
                type="monotone"
                dataKey="latencyMs"
                name="Latency"
                stroke="#009688"
                dot={false}
                connectNulls
                isAnimationActive={false}
              />
            </LineChart>
          </Chart>
          <Chart title="Tokens">
            <AreaChart data={series}>
              <CartesianGrid strokeDasharray="3 3" />
              {x}
              <YAxis allowDecimals={false} />
              <Tooltip labelFormatter={label(range)} />
              <Legend />
              <Area
                type="monotone"
                dataKey="promptTokens"
                name="Prompt"
                stackId="t"
                stroke="#7e57c2"
                fill="#b39ddb"
                isAnimationActive={false}
              />
              <Area
                type="monotone"
                dataKey="generationTokens"
                name="Generated"
                stackId="t"
                stroke="#ff9800"
                fill="#ffcc80"
                isAnimationActive={false}
              />
            </AreaChart>
          </Chart>
          {gpu && (
            <Chart title="GPU utilization (%)">
              <LineChart data={series}>
                <CartesianGrid strokeDasharray="3 3" />
                {x}
                <YAxis domain={[0, 100]} />
                <Tooltip labelFormatter={label(range)} />
                <Line
                  type="monotone"
                  dataKey="gpuUtilization"
                  name="GPU"
                  stroke="#76b900"
                  dot={false}
                  connectNulls
                  isAnimationActive={false}
                />
              </LineChart>
            </Chart>
          )}
        </Grid>
      )}
    </InfoCard>
  );
}
