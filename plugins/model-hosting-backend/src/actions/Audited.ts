import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import {
  AuditEntry,
  DeploymentRef,
  DeployRequest,
  normalizeOwnerRef,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { AuditLog } from '../audit/AuditLog';
import { DeploymentEntry } from '../deployments/ModelDeployments';
import { actorOf } from '../tenancy/WriteGuards';

type Action = AuditEntry['action'];

function outcomeOf(e: unknown) {
  const name = isError(e) ? e.name : 'Error';
  if (name === 'NotAllowedError') return 'denied';
  if (['InputError', 'NotFoundError', 'ConflictError'].includes(name))
    return 'rejected';
  return 'failed';
}

/** Runs actions and writes an audit record of each, whatever the outcome. */
export class Audited {
  constructor(
    private readonly audit: AuditLog,
    private readonly deployments: {
      find(ref: DeploymentRef): DeploymentEntry | undefined;
    },
  ) {}

  async run<T>(
    action: Action,
    ref: DeploymentRef,
    input: unknown,
    credentials: BackstageCredentials,
    fn: () => Promise<T>,
  ): Promise<T> {
    const entry = {
      actor: actorOf(credentials),
      action,
      ...ref,
      input,
      owner: this.ownerOf(action, ref, input),
    };
    try {
      const result = await fn();
      await this.audit.record({ ...entry, outcome: 'succeeded' });
      return result;
    } catch (e) {
      await this.audit.record({
        ...entry,
        outcome: outcomeOf(e),
        message: isError(e) ? e.message : String(e),
      });
      throw e;
    }
  }

  /** The owner a record is filed under: the request's for a deploy, else the deployment's. */
  private ownerOf(
    action: Action,
    ref: DeploymentRef,
    input: unknown,
  ): string | undefined {
    const requested = (input as DeployRequest | undefined)?.spec?.owner;
    try {
      const owner =
        action === 'deploy'
          ? requested
          : this.deployments.find(ref)?.md.spec.owner;
      return typeof owner === 'string' && owner
        ? normalizeOwnerRef(owner)
        : undefined;
    } catch {
      return undefined; // an unknown cluster: nobody's
    }
  }
}
