import {
  FormControl,
  InputLabel,
  MenuItem,
  Select,
  TextField,
} from '@material-ui/core';
import Autocomplete, {
  createFilterOptions,
} from '@material-ui/lab/Autocomplete';
import { memo } from 'react';

/** The value of a filter that lets everything through. */
export const ALL = '';

/** Matches shown while typing in a searchable filter: a menu of thousands helps nobody. */
export const SEARCH_MATCHES = 50;

interface FilterProps {
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
  minWidth?: number;
}

/** A filter over a few values (clusters, engines, phases, owners); drawn again only when they change. */
export const FilterSelect = memo(function SelectFilter({
  label,
  value,
  options,
  onChange,
  minWidth = 160,
}: FilterProps) {
  const id = `model-hosting-filter-${label.toLowerCase()}`;
  return (
    <FormControl variant="outlined" size="small" style={{ minWidth }}>
      <InputLabel id={id}>{label}</InputLabel>
      <Select
        labelId={id}
        label={label}
        value={value}
        onChange={e => onChange(e.target.value as string)}
      >
        <MenuItem value={ALL}>All</MenuItem>
        {options.map(o => (
          <MenuItem key={o} value={o}>
            {o}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
});

const matches = createFilterOptions<string>({ limit: SEARCH_MATCHES });

/**
 * A filter over many values (a fleet has thousands of models): type to narrow it; empty is all.
 * The menu lists the first matches of what is typed, not every value.
 */
export const FilterSearch = memo(function SearchFilter({
  label,
  value,
  options,
  onChange,
  minWidth = 240,
}: FilterProps) {
  return (
    <Autocomplete
      size="small"
      style={{ minWidth }}
      // A value the fleet no longer has (its last server was deleted) stays chosen and shown.
      options={
        value === ALL || options.includes(value) ? options : [value, ...options]
      }
      filterOptions={matches}
      value={value === ALL ? null : value}
      onChange={(_e, chosen) => onChange(chosen ?? ALL)}
      renderInput={params => (
        <TextField
          {...params}
          label={label}
          placeholder="All"
          variant="outlined"
        />
      )}
    />
  );
});
