/** Dashboard 1: who logged in (or failed to), who changed, deleted and granted what in Keystone. */
import { DashboardBuilder, LOKI, PROM, VARIABLES, logTable, outcomeColors, type JsonObject, type PanelSpec } from './grafana.js';
import { THRESHOLDS } from './thresholds.js';

const M = 'job=~"$job", cloud_region=~"$cloud_region"';
const AUTH = `cadf_authentications_total{${M}}`;
/** cadf_identity_operations_total with the dashboard's selectors and `extra` matchers. */
const ops = (extra = ''): string => `cadf_identity_operations_total{${M}${extra === '' ? '' : `, ${extra}`}}`;
const SEL = '{service_name="$service_name", cloud_region=~"$cloud_region"}';

const NO_SUCCESS =
  'Keystone sends successful logins only when keystone.conf has an empty `notification_opt_out` (README, "Configure Keystone"): ' +
  'without it this counts failures only.';
const NOTHING =
  'Nothing at all (no failures either, while Keystone is in use): check the Exporter health dashboard, ' +
  "then that Keystone publishes (`[oslo_messaging_notifications] driver = messagingv2`) to an exchange in CADF_AMQP_EXCHANGES.";

function stat(title: string, expr: string, description: string, extra: Partial<PanelSpec> = {}): PanelSpec {
  return { type: 'stat', title, description, w: 4, h: 4, ds: PROM, queries: [{ expr, instant: true }], unit: 'short', decimals: 0, noValue: '0', ...extra };
}

export function identityDashboard(): JsonObject {
  const b = new DashboardBuilder();
  b.row('Logins', 'Keystone identity.authenticate events, counted by the exporter (cadf_authentications_total).');
  b.line(
    stat('Successful logins', `sum(increase(cadf_authentications_total{${M}, outcome="success"}[$__range]))`, `Successful Keystone logins (password and federated) in the selected time range. 0 while failures are counted: ${NO_SUCCESS}`, { color: 'green' }),
    stat('Failed logins', `sum(increase(cadf_authentications_total{${M}, outcome="failure"}[$__range]))`, `Failed Keystone logins in the time range: wrong passwords, unknown user names, locked accounts and expired passwords. Who and from where: the "Latest failed logins" table below. ${NOTHING}`, { thresholds: [{ color: 'orange', value: 50 }, { color: 'red', value: 500 }] }),
    stat('Login failure ratio', `sum(increase(cadf_authentications_total{${M}, outcome="failure"}[$__range])) / sum(increase(${AUTH}[$__range]))`, `Share of logins that failed in the time range; red from ${THRESHOLDS.authFailureRatio * 100}%, the threshold of the KeystoneAuthFailureRatioHigh alert. 100% usually means Keystone does not send successes: ${NO_SUCCESS}`, { unit: 'percentunit', decimals: 1, noValue: '-', thresholds: [{ color: 'red', value: THRESHOLDS.authFailureRatio }] }),
    stat('Locked or expired (401)', `sum(increase(cadf_authentications_total{${M}, outcome="failure", reason_code="401"}[$__range]))`, 'Logins Keystone refused with reason 401: a locked account (after [security_compliance] lockout_failure_attempts wrong passwords) or an expired password. Any locked account is worth a look: the Loki alert KeystoneAccountLocked names it.', { thresholds: [{ color: 'orange', value: 1 }] }),
    stat('Unknown user names (404)', `sum(increase(cadf_authentications_total{${M}, outcome="failure", reason_code="404"}[$__range]))`, 'Logins with a user name or id Keystone does not know (reason 404). Many of them from one address is user enumeration: see "Failed logins by client address".', { thresholds: [{ color: 'orange', value: 20 }] }),
    stat('Logins per minute', `sum(rate(${AUTH}[$__rate_interval])) * 60`, `Logins per minute right now, successful and failed. ${NO_SUCCESS} ${NOTHING}`, { decimals: 1, options: { graphMode: 'area' } }),
  );
  b.line(
    {
      type: 'timeseries',
      title: 'Authentications by outcome',
      description: `Keystone logins per second by outcome (success, failure; pending from very old releases). ${NO_SUCCESS} ${NOTHING}`,
      w: 12,
      h: 8,
      ds: PROM,
      queries: [{ expr: `sum by (outcome) (rate(${AUTH}[$__rate_interval]))`, legend: '{{outcome}}' }],
      unit: 'suffix: logins/s',
      style: 'stacked-lines',
      overrides: outcomeColors(),
    },
    {
      type: 'timeseries',
      title: 'Login failure ratio',
      description:
        `Share of logins that fail. The red line is the threshold of the KeystoneAuthFailureRatioHigh alert (${THRESHOLDS.authFailureRatio * 100}% for 10 minutes, ` +
        'with at least 3 logins a minute and only where Keystone reports successes at all). Above it: look at the failed logins by address and user below. ' +
        `Stuck at 100%: ${NO_SUCCESS}`,
      w: 12,
      h: 8,
      ds: PROM,
      queries: [{ expr: `sum(rate(cadf_authentications_total{${M}, outcome="failure"}[$__rate_interval])) / sum(rate(${AUTH}[$__rate_interval]))`, legend: 'failure ratio' }],
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: [{ color: 'red', value: THRESHOLDS.authFailureRatio }],
      thresholdLines: true,
      color: 'red',
    },
  );
  b.line(
    {
      type: 'timeseries',
      title: 'Failed logins by reason code',
      description:
        'Failed logins per second by CADF reason code: none = wrong password (Keystone gives no reason), 404 = unknown user name or id, ' +
        `401 = locked account or expired password. The red line is the KeystoneAuthFailureRateHigh threshold (${THRESHOLDS.authFailureRate}/s for 10 minutes). ` +
        'A jump in 404s is someone guessing names; a jump in "none" for one user is a client with a stale password.',
      w: 12,
      h: 8,
      ds: PROM,
      queries: [{ expr: `sum by (reason_code) (rate(cadf_authentications_total{${M}, outcome="failure"}[$__rate_interval]))`, legend: 'reason {{reason_code}}' }],
      unit: 'suffix: failures/s',
      style: 'stacked-bars',
      thresholds: [{ color: 'red', value: THRESHOLDS.authFailureRate }],
      thresholdLines: true,
    },
    {
      type: 'timeseries',
      title: 'Logins by method',
      description: `Logins per second by method (password, federated) and outcome. Federated failures with no reason are usually a mapping problem of the identity provider, not an attack. ${NO_SUCCESS}`,
      w: 12,
      h: 8,
      ds: PROM,
      queries: [{ expr: `sum by (method, outcome) (rate(${AUTH}[$__rate_interval]))`, legend: '{{method}} {{outcome}}' }],
      unit: 'suffix: logins/s',
      overrides: outcomeColors(true),
    },
  );

  b.row('Identity changes', 'Keystone identity.<resource>.<operation> events (cadf_identity_operations_total).');
  b.line(
    stat('Users deleted', `sum(increase(${ops('resource_type="user", operation="deleted"')}[$__range]))`, 'Users deleted in the time range. Which, and by whom: the "Latest deletions" table below (Keystone Zed sends user deletions without the initiator, so "by" can be empty).', { w: 6, thresholds: [{ color: 'orange', value: 1 }] }),
    stat('Projects deleted', `sum(increase(${ops('resource_type="project", operation="deleted"')}[$__range]))`, 'Projects deleted in the time range (a domain deletion deletes its projects too). Which, and by whom: the "Latest deletions" table below.', { w: 6, thresholds: [{ color: 'orange', value: 1 }] }),
    stat('Roles granted', `sum(increase(${ops('resource_type="role_assignment", operation="created"')}[$__range]))`, 'Role assignments created in the time range. Admin grants raise the Loki alert KeystoneAdminRoleGranted; the details are in "Latest role grants and revocations".', { w: 6 }),
    stat('Roles revoked', `sum(increase(${ops('resource_type="role_assignment", operation="deleted"')}[$__range]))`, 'Role assignments deleted in the time range, also by the deletion of a user, group or project that had them.', { w: 6 }),
  );
  b.line(
    {
      type: 'timeseries',
      title: 'Identity operations by resource type and operation',
      description:
        'Keystone create, update and delete events per second by resource type. A burst of deletions or of credential and application_credential creations deserves a look in the Loki tables below. ' +
        'Nothing here while logins are counted: Keystone sends no notification for list and show calls, so a quiet cloud really is quiet.',
      w: 12,
      h: 8,
      ds: PROM,
      queries: [{ expr: `sum by (resource_type, operation) (rate(${ops()}[$__rate_interval]))`, legend: '{{resource_type}} {{operation}}' }],
      unit: 'suffix: ops/s',
      style: 'stacked-bars',
    },
    {
      type: 'bargauge',
      title: 'Identity operations in the time range',
      description: 'How many of each resource type were created, updated and deleted in the time range, most first. "other" is a resource type the exporter does not know: tell us which (the Loki record has the event_name).',
      w: 12,
      h: 8,
      ds: PROM,
      queries: [{ expr: `sort_desc(sum by (resource_type, operation) (increase(${ops()}[$__range])))`, legend: '{{resource_type}} {{operation}}', instant: true }],
      unit: 'short',
      decimals: 0,
      color: 'blue',
    },
  );
  b.line(
    {
      type: 'timeseries',
      title: 'Deletions of users and projects',
      description: 'Users and projects deleted per rate interval. A domain deletion shows up as a burst of project, group and user deletions at once. Who deleted what: "Latest deletions" below.',
      w: 12,
      h: 7,
      ds: PROM,
      queries: [{ expr: `sum by (resource_type) (increase(${ops('resource_type=~"user|project", operation="deleted"')}[$__rate_interval]))`, legend: '{{resource_type}} deleted' }],
      unit: 'short',
      style: 'bars',
    },
    {
      type: 'timeseries',
      title: 'Role assignments granted and revoked',
      description: 'Role assignments granted (identity.role_assignment.created) and revoked (.deleted) per rate interval. Failed grants (a role that does not exist, a revocation of a role never granted) count as outcome failure in the Loki records.',
      w: 12,
      h: 7,
      ds: PROM,
      queries: [
        { expr: `sum(increase(${ops('resource_type="role_assignment", operation="created"')}[$__rate_interval]))`, legend: 'granted' },
        { expr: `sum(increase(${ops('resource_type="role_assignment", operation="deleted"')}[$__rate_interval]))`, legend: 'revoked' },
      ],
      unit: 'short',
      style: 'bars',
      overrides: [
        { matcher: { id: 'byName', options: 'granted' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'blue' } }] },
        { matcher: { id: 'byName', options: 'revoked' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'purple' } }] },
      ],
    },
  );

  b.row('Audit log (Loki)', 'The log records themselves: names, addresses, reasons. Loki keeps the attributes as structured metadata (cadf.outcome is queried as cadf_outcome).');
  const failed = logTable([
    ['user_name', 'User name tried'],
    ['user_id', 'User id'],
    ['client_address', 'Client address'],
    ['cadf_reason_code', 'Code'],
    ['cadf_reason_type', 'Reason'],
    ['user_agent_original', 'User agent'],
  ]);
  b.line({
    type: 'table',
    title: 'Latest failed logins',
    description:
      'The latest failed Keystone logins, newest first: the user name tried, the caller address (Keystone: the right-most trusted X-Forwarded-For), the reason code (none = wrong password, 404 = unknown user, 401 = locked or expired) and reason. ' +
      'Empty while the metrics count failures: the Loki datasource or the service_name variable (OTEL_SERVICE_NAME) is wrong, or the exporter writes to stdout (no OTEL_EXPORTER_OTLP_ENDPOINT).',
    w: 24,
    h: 9,
    ds: LOKI,
    queries: [{ expr: `${SEL} | event_name="identity.authenticate" | cadf_outcome="failure"`, maxLines: 200 }],
    ...failed,
  });
  const deletions = logTable([
    ['openstack_resource_type', 'Type'],
    ['openstack_resource_name', 'Name'],
    ['openstack_resource_id', 'Id'],
    ['user_name', 'Deleted by'],
    ['client_address', 'From'],
    ['openstack_project_id', 'Acting project'],
  ]);
  b.line({
    type: 'table',
    title: 'Latest deletions',
    description:
      'The latest deletions of identity resources (users, projects, groups, domains, roles...), newest first, with the name the exporter remembered for the id (docs/names.md) and who deleted it. ' +
      'No name: the exporter never saw the object by name (set CADF_KEYSTONE_URL so it can look names up). No "Deleted by": Keystone Zed sends user deletions without the initiator, and a domain deletion cascades without one.',
    w: 24,
    h: 9,
    ds: LOKI,
    queries: [{ expr: `${SEL} | event_name=~"identity\\\\.[^.]+\\\\.deleted"`, maxLines: 200 }],
    ...deletions,
  });
  const grants = logTable([
    ['event_name', 'Event'],
    ['openstack_role_name', 'Role'],
    ['openstack_role_id', 'Role id'],
    ['openstack_assignment_user_name', 'To user'],
    ['openstack_assignment_user_id', 'User id'],
    ['openstack_assignment_group_id', 'To group'],
    ['openstack_assignment_project_id', 'On project'],
    ['openstack_assignment_domain_id', 'On domain'],
    ['user_name', 'By'],
  ]);
  b.line({
    type: 'table',
    title: 'Latest role grants and revocations',
    description: 'The latest role assignments granted (created) and revoked (deleted): which role, to which user or group, on which project or domain, by whom. A role shown by id only: its name is not in the name memory yet (CADF_KEYSTONE_URL enables lookups).',
    w: 24,
    h: 9,
    ds: LOKI,
    queries: [{ expr: `${SEL} | event_name=~"identity\\\\.role_assignment\\\\..+"`, maxLines: 200 }],
    ...grants,
  });
  b.line(
    {
      type: 'bargauge',
      title: 'Failed logins by client address (top 10)',
      description: 'Addresses with the most failed logins in the time range. One address far ahead of the rest is a brute-force attempt or a client with a stale password (the Loki alert KeystoneLoginFailuresFromOneAddress fires above 20 in 5 minutes): block or fix it.',
      w: 12,
      h: 8,
      ds: LOKI,
      queries: [{ expr: `topk(10, sum by (client_address) (count_over_time(${SEL} | event_name="identity.authenticate" | cadf_outcome="failure" [$__range])))`, legend: '{{client_address}}', instant: true }],
      unit: 'short',
      decimals: 0,
      color: 'red',
    },
    {
      type: 'bargauge',
      title: 'Failed logins by user name (top 10)',
      description: 'User names with the most failed logins in the time range. Names that do not exist (404) tried from one address are user enumeration; a real user far ahead probably has a script with an old password.',
      w: 12,
      h: 8,
      ds: LOKI,
      queries: [{ expr: `topk(10, sum by (user_name) (count_over_time(${SEL} | event_name="identity.authenticate" | cadf_outcome="failure" [$__range])))`, legend: '{{user_name}}', instant: true }],
      unit: 'short',
      decimals: 0,
      color: 'orange',
    },
  );
  return b.build({
    uid: 'cadf-identity-audit',
    title: 'OpenStack identity audit',
    description: 'Keystone logins, identity changes, deletions and role grants, from CADF audit notifications (cadf-exporter).',
    tags: ['openstack', 'keystone', 'audit', 'cadf'],
    variables: [VARIABLES.prometheus, VARIABLES.loki, VARIABLES.job, VARIABLES.cloudRegion, VARIABLES.serviceName],
    links: dashboardLinks(),
  });
}

export function dashboardLinks(): JsonObject[] {
  return [{ title: 'cadf-exporter', type: 'dashboards', tags: ['cadf'], asDropdown: true, includeVars: true, keepTime: true, icon: 'external link', targetBlank: false, tooltip: '', url: '' }];
}
