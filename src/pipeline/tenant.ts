import type { AuditEvent } from '../cadf/index.js';

export type TenantBy = 'none' | 'project' | 'domain';

export interface TenantOptions {
  readonly by: TenantBy;
  /** For events that concern no project (or domain): a failed login by an unknown user, ... */
  readonly fallback: string;
}

/**
 * The log-store tenant (Loki's X-Scope-OrgID) an event goes to, so that a project's own Grafana
 * data source shows its events only. One tenant per record: the object's owner when the event
 * names one (the project a role was granted on, the project created or deleted), else the scope
 * the initiator acted in; else the fallback. Undefined when routing is off.
 */
export function tenantOf(ev: AuditEvent, o: TenantOptions): string | undefined {
  if (o.by === 'none') return undefined;
  const kind = o.by;
  const own = kind === 'project' ? ev.assignment?.project?.id : ev.assignment?.domain?.id;
  const resource = ev.resource?.type === kind ? ev.resource.id : undefined;
  const scope = kind === 'project' ? ev.actor?.project.id : ev.actor?.domain.id;
  const id = own ?? resource ?? scope;
  return id !== undefined && id !== '' ? id : o.fallback;
}
