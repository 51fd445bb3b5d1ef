import type { NotifyRule } from './rules.js';

/**
 * The built-in rule set (notify.builtinRules, off by default): the identity changes most sites
 * want a person told of at once. docs/notifications.md lists them; a rule of the same name in
 * notify.rules replaces the built-in one.
 */
export const BUILTIN_RULES: readonly NotifyRule[] = [
  {
    name: 'KeystoneUserDeleted',
    severity: 'warning',
    summary: 'A user was deleted.',
    match: { event: 'identity.user.deleted', outcome: 'success' },
  },
  {
    name: 'KeystoneProjectDeleted',
    severity: 'warning',
    summary: 'A project was deleted, with what it held.',
    match: { event: 'identity.project.deleted', outcome: 'success' },
  },
  {
    name: 'KeystoneAdminRoleGranted',
    severity: 'warning',
    summary: 'Someone was given the admin role.',
    match: { event: 'identity.role_assignment.created', outcome: 'success', role: 'admin' },
  },
  {
    name: 'KeystoneAccountLocked',
    severity: 'warning',
    summary: 'An account was locked after too many failed logins (Keystone lockout_failure_attempts).',
    // Keystone refuses a locked account with 401 and says so in the reason (an expired password
    // is a 401 too, with another text).
    match: { event: 'identity.authenticate', outcome: 'failure', reason: 'The account is locked*' },
  },
  {
    name: 'KeystoneApplicationCredentialCreated',
    severity: 'info',
    summary: 'An application credential was created: a secret that logs in as its user.',
    match: { event: 'identity.application_credential.created', outcome: 'success' },
  },
];
