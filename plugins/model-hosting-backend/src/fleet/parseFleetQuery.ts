import { InputError } from '@backstage/errors';
import {
  FLEET_PAGE_LIMIT,
  FLEET_SORT_KEYS,
  FLEET_TEXT_MAX,
  FleetQuery,
  FleetSortKey,
} from '@modelhosting/backstage-plugin-model-hosting-common';

const FILTERS = ['cluster', 'engine', 'model', 'phase', 'owner'] as const;
const KNOWN = new Set([
  'limit',
  'offset',
  'q',
  'sort',
  'order',
  'facets',
  ...FILTERS,
]);
const MAX_OFFSET = 1_000_000;

function integer(name: string, raw: string, min: number, max: number) {
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new InputError(
      `${name} must be a whole number from ${min} to ${max}, got '${raw.slice(
        0,
        20,
      )}'`,
    );
  }
  return Number(raw);
}

/**
 * The paged query of GET /deployments from its query string, or undefined when it asks for
 * every deployment (no `limit`). Unknown, repeated or out-of-range parameters are refused.
 */
export function parseFleetQuery(
  query: Record<string, unknown>,
): FleetQuery | undefined {
  const unknown = Object.keys(query).filter(k => !KNOWN.has(k));
  if (unknown.length) {
    throw new InputError(
      `unknown query parameters: ${unknown
        .slice(0, 5)
        .map(k => k.slice(0, 40))
        .join(', ')} (known: ${[...KNOWN].join(', ')})`,
    );
  }
  const text: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if (typeof v !== 'string') {
      throw new InputError(`query parameter ${k} must be given once`);
    }
    if (v.length > FLEET_TEXT_MAX) {
      throw new InputError(
        `query parameter ${k} is longer than ${FLEET_TEXT_MAX} characters`,
      );
    }
    text[k] = v;
  }
  if (text.limit === undefined) {
    if (Object.keys(text).length) {
      throw new InputError(
        'a paged query needs limit (sorting, searching and filtering apply to pages)',
      );
    }
    return undefined;
  }
  const sort = text.sort;
  if (
    sort !== undefined &&
    !(FLEET_SORT_KEYS as readonly string[]).includes(sort)
  ) {
    throw new InputError(
      `sort must be one of ${FLEET_SORT_KEYS.join(', ')}, got '${sort}'`,
    );
  }
  const order = text.order;
  if (order !== undefined && order !== 'asc' && order !== 'desc') {
    throw new InputError(`order must be asc or desc, got '${order}'`);
  }
  const facets = text.facets;
  if (facets !== undefined && facets !== 'true' && facets !== 'false') {
    throw new InputError(`facets must be true or false, got '${facets}'`);
  }
  const parsed: FleetQuery = {
    limit: integer('limit', text.limit, 0, FLEET_PAGE_LIMIT),
    offset:
      text.offset === undefined
        ? 0
        : integer('offset', text.offset, 0, MAX_OFFSET),
    sort: sort as FleetSortKey | undefined,
    order: order as 'asc' | 'desc' | undefined,
  };
  if (facets === 'true') parsed.facets = true;
  if (text.q) parsed.q = text.q;
  for (const f of FILTERS) if (text[f]) parsed[f] = text[f];
  return parsed;
}
