import { useApi } from '@backstage/core-plugin-api';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import {
  FormControl,
  FormHelperText,
  InputLabel,
  MenuItem,
  Select,
} from '@material-ui/core';
import useAsync from 'react-use/esm/useAsync';
import { CapacityResponse } from '@modelhosting/backstage-plugin-model-hosting-common';
import { modelHostingApiRef } from '../../api';

/** The GPU products of a cluster's nodes, with free whole GPUs (or time-sliced replicas) of each. */
export function productsOf(capacity: CapacityResponse, cluster?: string) {
  const products = new Map<
    string,
    { free: number; total: number; sharing: string }
  >();
  for (const c of capacity.clusters.filter(
    x => !cluster || x.cluster === cluster,
  )) {
    for (const node of c.nodes) {
      if (!node.product) continue;
      const gpu = node.resources.find(r => r.resource === 'nvidia.com/gpu');
      if (!gpu) continue;
      const p = products.get(node.product) ?? {
        free: 0,
        total: 0,
        sharing: node.sharing,
      };
      p.free += gpu.allocatable - gpu.requested;
      p.total += gpu.allocatable;
      products.set(node.product, p);
    }
  }
  return [...products]
    .map(([product, p]) => ({ product, ...p }))
    .sort((a, b) => a.product.localeCompare(b.product));
}

/** Scaffolder field: a GPU product present on the chosen cluster (form field "cluster"). */
export const GpuProductPicker = ({
  onChange,
  formData,
  schema,
  rawErrors,
  required,
  formContext,
  idSchema,
}: FieldExtensionComponentProps<string>) => {
  const api = useApi(modelHostingApiRef);
  const cluster = (formContext?.formData as { cluster?: string } | undefined)
    ?.cluster;
  const { value, loading, error } = useAsync(() => api.getCapacity(), [api]);
  const products = value ? productsOf(value, cluster) : [];
  const labelId = `${idSchema?.$id ?? 'gpu-product'}-label`;
  let helperText =
    schema.description ?? 'Pods are placed on nodes with this product.';
  if (error) helperText = `Could not load the GPUs: ${error.message}`;
  else if (products.length === 0 && !loading) {
    helperText = `No GPU nodes on ${cluster ?? 'the cluster'}.`;
  }
  return (
    <FormControl
      fullWidth
      margin="normal"
      required={required}
      error={!!rawErrors?.length || !!error}
    >
      <InputLabel id={labelId}>{schema.title ?? 'GPU product'}</InputLabel>
      <Select
        labelId={labelId}
        value={products.some(p => p.product === formData) ? formData : ''}
        onChange={e => onChange(e.target.value as string)}
        disabled={loading}
      >
        {products.map(p => (
          <MenuItem key={p.product} value={p.product}>
            {p.product} — {p.free} of {p.total} free
            {p.sharing === 'timeSliced' ? ' (time-sliced)' : ''}
          </MenuItem>
        ))}
      </Select>
      <FormHelperText>{helperText}</FormHelperText>
    </FormControl>
  );
};
