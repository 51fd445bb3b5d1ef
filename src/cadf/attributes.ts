/**
 * Every attribute key a log record can carry, in one place. OpenTelemetry semantic-convention keys
 * where one exists; `cadf.*` for the CADF event as sent; `openstack.*` for what OpenStack adds or
 * what we derive. docs/attributes.md documents each one, and test/cadf/attributes-doc.test.ts fails
 * when the two disagree. `user.*` and `log.record.uid` are incubating in semconv (v1.44): copied here
 * rather than imported from the unstable entry point, as the semconv package advises.
 */
export const ATTR = {
  // OpenTelemetry semantic conventions
  LOG_RECORD_UID: 'log.record.uid',
  USER_ID: 'user.id',
  USER_NAME: 'user.name',
  CLIENT_ADDRESS: 'client.address',
  USER_AGENT_ORIGINAL: 'user_agent.original',
  URL_PATH: 'url.path',
  URL_QUERY: 'url.query',
  HTTP_RESPONSE_STATUS_CODE: 'http.response.status_code',

  // The CADF event
  CADF_FORMAT: 'cadf.format',
  EVENT_TIME_ORIGINAL: 'cadf.event_time.original',
  CADF_EVENT_ID: 'cadf.event.id',
  CADF_EVENT_TYPE: 'cadf.event.type',
  CADF_ACTION: 'cadf.action',
  CADF_OUTCOME: 'cadf.outcome',
  CADF_REASON_TYPE: 'cadf.reason.type',
  CADF_REASON_CODE: 'cadf.reason.code',
  CADF_REASON_POLICY_TYPE: 'cadf.reason.policy_type',
  CADF_REASON_POLICY_ID: 'cadf.reason.policy_id',
  CADF_INITIATOR_ID: 'cadf.initiator.id',
  CADF_INITIATOR_TYPE_URI: 'cadf.initiator.type_uri',
  CADF_INITIATOR_IDENTITY_STATUS: 'cadf.initiator.identity_status',
  CADF_TARGET_ID: 'cadf.target.id',
  CADF_TARGET_TYPE_URI: 'cadf.target.type_uri',
  CADF_TARGET_NAME: 'cadf.target.name',
  CADF_OBSERVER_ID: 'cadf.observer.id',
  CADF_OBSERVER_TYPE_URI: 'cadf.observer.type_uri',
  CADF_TAGS: 'cadf.tags',
  CADF_ATTACHMENT_NAMES: 'cadf.attachment.names',
  CADF_MEASUREMENT_COUNT: 'cadf.measurement.count',

  // OpenStack: the notification and its context
  EVENT_CATEGORY: 'openstack.event.category',
  PUBLISHER_ID: 'openstack.publisher.id',
  EXCHANGE: 'openstack.exchange',
  REQUEST_ID: 'openstack.request.id',
  GLOBAL_REQUEST_ID: 'openstack.global_request.id',
  CORRELATION_ID: 'openstack.correlation.id',
  PROJECT_ID: 'openstack.project.id',
  PROJECT_NAME: 'openstack.project.name',
  DOMAIN_ID: 'openstack.domain.id',
  DOMAIN_NAME: 'openstack.domain.name',
  APPLICATION_CREDENTIAL_ID: 'openstack.application_credential.id',
  TARGET_PROJECT_ID: 'openstack.target.project.id',
  TARGET_PROJECT_NAME: 'openstack.target.project.name',
  TARGET_DOMAIN_ID: 'openstack.target.domain.id',
  TARGET_DOMAIN_NAME: 'openstack.target.domain.name',
  TENANT_IDS: 'openstack.tenant_ids',

  // Authentication
  AUTH_METHOD: 'openstack.auth.method',
  IDENTITY_PROVIDER: 'openstack.auth.identity_provider',

  // Identity resources
  RESOURCE_TYPE: 'openstack.resource.type',
  RESOURCE_OPERATION: 'openstack.resource.operation',
  RESOURCE_ID: 'openstack.resource.id',
  RESOURCE_NAME: 'openstack.resource.name',
  ACTOR_ID: 'openstack.actor.id',
  ACTOR_TYPE: 'openstack.actor.type',
  ACTOR_OPERATION: 'openstack.actor.operation',

  // Role assignments
  ROLE_ID: 'openstack.role.id',
  ROLE_NAME: 'openstack.role.name',
  ASSIGNMENT_USER_ID: 'openstack.assignment.user.id',
  ASSIGNMENT_USER_NAME: 'openstack.assignment.user.name',
  ASSIGNMENT_GROUP_ID: 'openstack.assignment.group.id',
  ASSIGNMENT_GROUP_NAME: 'openstack.assignment.group.name',
  ASSIGNMENT_PROJECT_ID: 'openstack.assignment.project.id',
  ASSIGNMENT_PROJECT_NAME: 'openstack.assignment.project.name',
  ASSIGNMENT_DOMAIN_ID: 'openstack.assignment.domain.id',
  ASSIGNMENT_DOMAIN_NAME: 'openstack.assignment.domain.name',
  ASSIGNMENT_INHERITED: 'openstack.assignment.inherited',

  // API audit (keystonemiddleware)
  SERVICE: 'openstack.service',
  API_PHASE: 'openstack.api.phase',
  API_DURATION: 'openstack.api.duration',
} as const;

export type AttributeValue = string | number | boolean | string[];
export type Attributes = Record<string, AttributeValue>;
