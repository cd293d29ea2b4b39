import { ResponseError } from '@backstage/errors';

/** The backend's own words ("Refused by images: …"), without the HTTP wrapping. */
export const errorMessage = (e: unknown): string =>
  (e as ResponseError).body?.error?.message ?? (e as Error).message;
