import type { AuditEvent, Ref } from './event.js';

/**
 * One line a person can read, in the spirit of the 2015 prototype:
 * `USER DELETED: success: user alice (7ec4...) by admin (bf99...) from 10.0.0.5 (project: demo (1040...))`.
 * Names appear when the event or enrichment knows them; ids always stay.
 */
export function renderBody(ev: AuditEvent): string {
  switch (ev.classification.category) {
    case 'authentication':
      return authLine(ev);
    case 'identity':
      return identityLine(ev);
    case 'api':
      return apiLine(ev);
    case 'other':
      return otherLine(ev);
  }
}

function authLine(ev: AuditEvent): string {
  const a = ev.actor;
  let who: string;
  if (ev.federated) {
    who = `federated user ${ref(a)} via ${a?.identityProvider ?? 'unknown'}`;
  } else {
    who = `user ${ref(a)}`;
    if (a?.domain.id !== undefined || a?.domain.name !== undefined) who += ` (domain: ${ref(a.domain)})`;
  }
  return `USER AUTH: ${ev.outcome ?? 'unknown'}: ${who}${from(ev)}${reason(ev)}`;
}

function identityLine(ev: AuditEvent): string {
  const r = ev.resource;
  const type = r?.type ?? 'resource';
  const head = `${words(type)} ${(r?.operation ?? '').toUpperCase()}: ${ev.outcome ?? 'success'}: `;
  let what: string;
  if (ev.assignment !== undefined) {
    const g = ev.assignment;
    const to = g.user !== undefined ? `user ${ref(g.user)}` : `group ${ref(g.group)}`;
    const on = g.project !== undefined ? `project ${ref(g.project)}` : `domain ${ref(g.domain)}`;
    what = `role ${ref(g.role)} for ${to} on ${on}${g.inherited === true ? ' (inherited to projects)' : ''}`;
  } else {
    what = `${type.replace(/_/g, ' ')} ${ref(r)}`;
  }
  const p = ev.payload;
  if (p.format === 'basic' && p.actor !== undefined) {
    what += `: ${p.actor.type ?? 'actor'} ${p.actor.id ?? 'unknown'} ${p.actor.operation ?? 'changed'}`;
  }
  return `${head}${what}${by(ev)}${from(ev)}${scope(ev)}${reason(ev)}`;
}

function apiLine(ev: AuditEvent): string {
  const api = ev.api;
  const p = ev.payload;
  const action = p.format === 'cadf' ? p.action : 'unknown';
  const phase = api?.phase === 'request' ? 'REQUEST' : 'RESPONSE';
  const status = api?.statusCode !== undefined ? ` ${api.statusCode}` : '';
  const path = api?.path !== undefined ? ` ${api.path}` : '';
  return (
    `API ${phase} ${api?.service ?? 'unknown'} ${action}${path}: ${ev.outcome ?? 'unknown'}${status}` +
    `${by(ev)}${from(ev)}${scope(ev)}`
  );
}

function otherLine(ev: AuditEvent): string {
  const p = ev.payload;
  if (p.format === 'basic') {
    return `${ev.notification.eventType}: ${p.resourceInfo ?? 'unknown'}${by(ev)}`;
  }
  const t = p.target;
  const target = t !== undefined ? ` target ${t.typeURI ?? 'unknown'} ${ref({ id: t.id, name: t.name })}` : '';
  return `${ev.notification.eventType}: ${p.action}: ${ev.outcome ?? 'unknown'}:${target}${by(ev)}${from(ev)}${reason(ev)}`;
}

function by(ev: AuditEvent): string {
  if (ev.classification.category === 'authentication') return '';
  return ` by ${ev.actor === undefined ? 'unknown' : ref(ev.actor)}`;
}

function from(ev: AuditEvent): string {
  return ev.actor?.address !== undefined ? ` from ${ev.actor.address}` : '';
}

function scope(ev: AuditEvent): string {
  const a = ev.actor;
  if (a === undefined) return '';
  if (a.project.id !== undefined || a.project.name !== undefined) return ` (project: ${ref(a.project)})`;
  if (ev.classification.category !== 'authentication' && a.domain.id !== undefined) {
    return ` (domain: ${ref(a.domain)})`;
  }
  return '';
}

function reason(ev: AuditEvent): string {
  const p = ev.payload;
  if (p.format !== 'cadf' || p.reason === undefined || ev.classification.category === 'api') return '';
  const { reasonCode, reasonType } = p.reason;
  if (reasonCode === undefined && reasonType === undefined) return '';
  return `: reason ${[reasonCode, reasonType].filter((x) => x !== undefined).join(' ')}`;
}

/** `alice (7ec4...)`, or whichever of the two is known, or `unknown`. */
export function ref(r: Ref | undefined): string {
  if (r === undefined) return 'unknown';
  if (r.name !== undefined && r.id !== undefined) return r.name === r.id ? r.id : `${r.name} (${r.id})`;
  return r.name ?? r.id ?? 'unknown';
}

function words(type: string): string {
  return type.replace(/_/g, ' ').toUpperCase();
}
