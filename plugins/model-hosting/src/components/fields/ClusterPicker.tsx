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
import { modelHostingApiRef } from '../../api';

/** Scaffolder field: one of the clusters the model-hosting backend knows, with its state. */
export const ClusterPicker = ({
  onChange,
  formData,
  schema,
  rawErrors,
  required,
  idSchema,
}: FieldExtensionComponentProps<string>) => {
  const api = useApi(modelHostingApiRef);
  const { value, loading, error } = useAsync(() => api.getCapacity(), [api]);
  const clusters = value?.clusters ?? [];
  const labelId = `${idSchema?.$id ?? 'cluster'}-label`;
  return (
    <FormControl
      fullWidth
      margin="normal"
      required={required}
      error={!!rawErrors?.length || !!error}
    >
      <InputLabel id={labelId}>{schema.title ?? 'Cluster'}</InputLabel>
      <Select
        labelId={labelId}
        value={clusters.some(c => c.cluster === formData) ? formData : ''}
        onChange={e => onChange(e.target.value as string)}
        disabled={loading}
      >
        {clusters.map(c => (
          <MenuItem key={c.cluster} value={c.cluster} disabled={!c.reachable}>
            {c.cluster}
            {c.reachable
              ? ` — ${
                  c.totals
                    .map(
                      t =>
                        `${t.allocatable - t.requested} of ${
                          t.allocatable
                        } ${t.resource.replace('nvidia.com/', '')} free`,
                    )
                    .join(', ') || 'no GPUs'
                }`
              : ' (unreachable)'}
          </MenuItem>
        ))}
      </Select>
      <FormHelperText>
        {error
          ? `Could not load the clusters: ${error.message}`
          : schema.description ?? 'Where the model server runs.'}
      </FormHelperText>
    </FormControl>
  );
};
