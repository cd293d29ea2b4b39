import {
  DeploymentSummary,
  FleetResponse,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { TableCell, TableRow } from '@material-ui/core';
import { makeStyles } from '@material-ui/core/styles';
import { memo } from 'react';
import { columns } from './fleetColumns';

const useStyles = makeStyles({ nowrap: { whiteSpace: 'nowrap' } });

/** One row; drawn again only when its deployment's summary changed. */
const FleetRow = memo(
  function Row({ d }: { d: DeploymentSummary }) {
    const classes = useStyles();
    return (
      <TableRow hover>
        {columns.map(c => (
          <TableCell
            key={c.sort}
            className={c.nowrap ? classes.nowrap : undefined}
          >
            {c.cell(d)}
          </TableCell>
        ))}
      </TableRow>
    );
  },
  (a, b) => a.d === b.d || JSON.stringify(a.d) === JSON.stringify(b.d),
);

/** The page's rows, or why there are none. */
export const FleetRows = memo(function Rows({
  answer,
}: {
  answer?: FleetResponse;
}) {
  if (answer && answer.items.length === 0) {
    return (
      <TableRow>
        <TableCell colSpan={columns.length} align="center">
          No model servers match
        </TableCell>
      </TableRow>
    );
  }
  return (
    <>
      {answer?.items.map(d => (
        <FleetRow key={`${d.cluster}/${d.namespace}/${d.name}`} d={d} />
      ))}
    </>
  );
});
