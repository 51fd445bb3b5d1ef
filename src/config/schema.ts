import type { BrokerEntry } from './brokers.js';
import { registerFormats } from './formats.js';

registerFormats();

/**
 * The one source of defaults, types, docs, env var and flag names. docs/configuration.md is
 * generated from it (npm run docs:config) and a test fails when the two differ.
 *
 * Beyond convict's own properties: `envFallback` names the variable read when `env` is not set
 * (OpenTelemetry's generic OTEL_EXPORTER_OTLP_* behind the logs-specific one, the spec's
 * precedence), and every `sensitive` setting can also be read from a file named by `<env>_FILE`
 * (Docker and Kubernetes secrets). Both are resolved in load.ts.
 */
export const schema = {
  amqp: {
    brokers: {
      doc: 'Several independent brokers at once, each its own source: a JSON array of {name, url, and any of exchanges, routingKeys, queue, queueType, deadLetterQueue, exchangeDurable, prefetch, tls {ca, cert, key, verify}}; what an entry leaves out comes from the amqp.* settings. Best in a config file. Empty: one broker, amqp.url.',
      format: 'broker-list',
      default: [] as unknown[],
      env: 'CADF_AMQP_BROKERS',
      arg: 'amqp-brokers',
      sensitive: true,
    },
    url: {
      doc: 'RabbitMQ broker URL; several, comma-separated, for failover (tried in order). amqps:// for TLS.',
      format: 'amqp-urls',
      default: ['amqp://guest:guest@127.0.0.1:5672/'] as string[],
      env: 'CADF_AMQP_URL',
      arg: 'amqp-url',
      sensitive: true,
    },
    exchanges: {
      doc: "Exchanges to bind to: each publishing service's control_exchange (keystone; openstack for keystonemiddleware in services that never set one; nova, cinder, glance, neutron, swift...). amq.default (the default exchange, which cannot be bound) consumes the queue as named, for producers that send bare CADF to a named queue (sapcc/go-bits); an existing queue of that name is then used as the producer declared it.",
      format: 'string-list',
      // Each project's own oslo control_exchange default (README, "Configure"): a service that
      // never started has no exchange yet, so it is declared as oslo would and bound all the same.
      default: ['keystone', 'openstack', 'nova', 'glance', 'cinder', 'neutron', 'heat'] as string[],
      env: 'CADF_AMQP_EXCHANGES',
      arg: 'amqp-exchanges',
    },
    routingKeys: {
      doc: 'Routing keys to bind with on each exchange (oslo publishes on <topic>.<priority>, e.g. notifications.info).',
      format: 'string-list',
      default: ['notifications.*'] as string[],
      env: 'CADF_AMQP_ROUTING_KEYS',
      arg: 'amqp-routing-keys',
    },
    queue: {
      doc: "The exporter's own durable queue. Never oslo's notifications.info queue: Ceilometer consumes that one.",
      format: String,
      default: 'cadf-exporter',
      env: 'CADF_AMQP_QUEUE',
      arg: 'amqp-queue',
    },
    queueType: {
      doc: 'classic, or quorum (as kolla-ansible deployments use). Must match an existing queue of that name.',
      format: ['classic', 'quorum'],
      default: 'classic',
      env: 'CADF_AMQP_QUEUE_TYPE',
      arg: 'amqp-queue-type',
    },
    deadLetterQueue: {
      doc: 'Queue that receives undecodable messages and records the OTLP endpoint rejects, with the reason in headers.',
      format: String,
      default: 'cadf-exporter.dead',
      env: 'CADF_AMQP_DEAD_LETTER_QUEUE',
      arg: 'amqp-dead-letter-queue',
    },
    exchangeDurable: {
      doc: "Durability to declare an exchange with if it does not exist yet. Must match oslo's: true only with amqp_durable_queues or rabbit_quorum_queue.",
      format: Boolean,
      default: false,
      env: 'CADF_AMQP_EXCHANGE_DURABLE',
      arg: 'amqp-exchange-durable',
    },
    prefetch: {
      doc: 'Unacknowledged messages in flight; bounds memory. Messages are acked only after export.',
      format: 'positive-int',
      default: 1000,
      env: 'CADF_AMQP_PREFETCH',
      arg: 'amqp-prefetch',
    },
    deadLetterConfirmTimeoutMs: {
      doc: 'A dead-letter publish the broker has not confirmed by then failed: the message goes back to the queue (requeued after a delay growing from 1 s to deadLetterRetryMaxDelayMs).',
      format: 'positive-int',
      default: 10000,
      env: 'CADF_AMQP_DEAD_LETTER_CONFIRM_TIMEOUT_MS',
      arg: 'amqp-dead-letter-confirm-timeout-ms',
    },
    deadLetterRetryMaxDelayMs: {
      doc: 'Cap of the wait before a message whose dead letter failed is requeued, so a refusing dead-letter queue cannot make a poison message spin.',
      format: 'positive-int',
      default: 30000,
      env: 'CADF_AMQP_DEAD_LETTER_RETRY_MAX_DELAY_MS',
      arg: 'amqp-dead-letter-retry-max-delay-ms',
    },
    heartbeatSeconds: {
      doc: 'AMQP heartbeat; a dead broker connection is noticed within about twice this.',
      format: 'nat',
      default: 30,
      env: 'CADF_AMQP_HEARTBEAT',
      arg: 'amqp-heartbeat',
    },
    reconnectInitialDelayMs: {
      doc: 'First reconnect delay; it doubles (with +/-20% jitter) up to reconnectMaxDelayMs.',
      format: 'positive-int',
      default: 500,
      env: 'CADF_AMQP_RECONNECT_INITIAL_DELAY_MS',
      arg: 'amqp-reconnect-initial-delay-ms',
    },
    reconnectMaxDelayMs: {
      doc: 'Cap of the reconnect delay.',
      format: 'positive-int',
      default: 30000,
      env: 'CADF_AMQP_RECONNECT_MAX_DELAY_MS',
      arg: 'amqp-reconnect-max-delay-ms',
    },
    tls: {
      ca: {
        doc: 'PEM file of the CA that signed the broker certificate (amqps://).',
        format: String,
        default: '',
        env: 'CADF_AMQP_TLS_CA',
        arg: 'amqp-tls-ca',
      },
      cert: {
        doc: 'PEM client certificate file, for brokers that require one. With no user in an amqps:// URL, the exporter authenticates by this certificate (SASL EXTERNAL: the rabbitmq_auth_mechanism_ssl plugin) instead of as guest.',
        format: String,
        default: '',
        env: 'CADF_AMQP_TLS_CERT',
        arg: 'amqp-tls-cert',
      },
      key: {
        doc: 'PEM private key file of the client certificate.',
        format: String,
        default: '',
        env: 'CADF_AMQP_TLS_KEY',
        arg: 'amqp-tls-key',
      },
      verify: {
        doc: "Verify the broker's certificate and host name. Turn off only for a test broker.",
        format: Boolean,
        default: true,
        env: 'CADF_AMQP_TLS_VERIFY',
        arg: 'amqp-tls-verify',
      },
    },
  },
  otlp: {
    endpoint: {
      doc: 'OTLP/HTTP base URL; /v1/logs is appended (Loki: http://loki:3100/otlp). Empty, with logsEndpoint empty too: records go to stdout as JSON lines.',
      format: 'optional-url',
      default: '',
      env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
      arg: 'otlp-endpoint',
      // A gateway may take its token as URL userinfo (https://id:token@host): never printed.
      sensitive: true,
    },
    logsEndpoint: {
      doc: 'Full OTLP/HTTP logs URL, used as is; wins over endpoint.',
      format: 'optional-url',
      default: '',
      env: 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
      arg: 'otlp-logs-endpoint',
      sensitive: true,
    },
    protocol: {
      doc: 'http/protobuf (Loki, Grafana Cloud) or http/json.',
      format: ['http/protobuf', 'http/json'],
      default: 'http/protobuf',
      env: 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL',
      envFallback: 'OTEL_EXPORTER_OTLP_PROTOCOL',
      arg: 'otlp-protocol',
    },
    headers: {
      doc: 'Extra HTTP headers, key=value,... (percent-encoded values), e.g. Authorization=Basic%20...',
      format: 'key-values',
      default: '',
      env: 'OTEL_EXPORTER_OTLP_LOGS_HEADERS',
      envFallback: 'OTEL_EXPORTER_OTLP_HEADERS',
      arg: 'otlp-headers',
      sensitive: true,
    },
    compression: {
      doc: 'none or gzip.',
      format: ['none', 'gzip'],
      default: 'none',
      env: 'OTEL_EXPORTER_OTLP_LOGS_COMPRESSION',
      envFallback: 'OTEL_EXPORTER_OTLP_COMPRESSION',
      arg: 'otlp-compression',
    },
    timeoutMs: {
      doc: 'Time limit of one export request, retries of 429/502/503/504 included.',
      format: 'positive-int',
      default: 10000,
      env: 'OTEL_EXPORTER_OTLP_LOGS_TIMEOUT',
      envFallback: 'OTEL_EXPORTER_OTLP_TIMEOUT',
      arg: 'otlp-timeout',
    },
    certificate: {
      doc: 'PEM file of the CA(s) to trust for an https:// endpoint with a private CA (besides the system roots: the same as the OTel SDKs).',
      format: String,
      default: '',
      env: 'OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE',
      envFallback: 'OTEL_EXPORTER_OTLP_CERTIFICATE',
      arg: 'otlp-certificate',
    },
    clientCertificate: {
      doc: 'PEM client certificate file for mutual TLS with the endpoint (with clientKey).',
      format: String,
      default: '',
      env: 'OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE',
      envFallback: 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE',
      arg: 'otlp-client-certificate',
    },
    clientKey: {
      doc: 'PEM private key file of that client certificate.',
      format: String,
      default: '',
      env: 'OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY',
      envFallback: 'OTEL_EXPORTER_OTLP_CLIENT_KEY',
      arg: 'otlp-client-key',
    },
    batchSize: {
      doc: 'Records per export request (a quarter of amqp.prefetch keeps several batches in flight).',
      format: 'positive-int',
      default: 256,
      env: 'CADF_EXPORT_BATCH_SIZE',
      arg: 'export-batch-size',
    },
    batchMaxBytes: {
      doc: "Upper bound of a batch's size (the messages' bytes), so a 413 is the exception: Loki's default limit of a request is 4 MiB.",
      format: 'positive-int',
      default: 1048576,
      env: 'CADF_EXPORT_BATCH_MAX_BYTES',
      arg: 'export-batch-max-bytes',
    },
    refusalsBeforeOutage: {
      doc: 'Single records refused (HTTP 400) one after another with no success between them before the refusals are taken for an outage (a label limit, a proxy): from then on nothing is dead-lettered, records wait with backoff and one at a time probes the endpoint.',
      format: 'positive-int',
      default: 8,
      env: 'CADF_EXPORT_REFUSALS_BEFORE_OUTAGE',
      arg: 'export-refusals-before-outage',
    },
    tenantBy: {
      doc: "Route records to log-store tenants (Loki multi-tenancy, X-Scope-OrgID per request): none, project (the object's project, else the initiator's) or domain. Off (none) by default.",
      format: ['none', 'project', 'domain'],
      default: 'none',
      env: 'CADF_OTLP_TENANT_BY',
      arg: 'otlp-tenant-by',
    },
    tenantFallback: {
      doc: 'Tenant of the records that concern no project (or domain) when tenantBy is set: failed logins of unknown users, service-to-service calls.',
      format: String,
      default: 'openstack-audit',
      env: 'CADF_OTLP_TENANT_FALLBACK',
      arg: 'otlp-tenant-fallback',
    },
    tenantHeader: {
      doc: "The HTTP header that names a request's tenant (Loki: X-Scope-OrgID).",
      format: String,
      default: 'X-Scope-OrgID',
      env: 'CADF_OTLP_TENANT_HEADER',
      arg: 'otlp-tenant-header',
    },
    batchDelayMs: {
      doc: 'Longest wait before a partial batch is exported.',
      format: 'positive-int',
      default: 200,
      env: 'CADF_EXPORT_BATCH_DELAY_MS',
      arg: 'export-batch-delay-ms',
    },
    maxConcurrentExports: {
      doc: 'Export requests in flight at once.',
      format: 'positive-int',
      default: 4,
      env: 'CADF_EXPORT_CONCURRENCY',
      arg: 'export-concurrency',
    },
    retryMaxDelayMs: {
      doc: 'Cap of the delay between retries of a failed export (they go on until it succeeds; the queue is the buffer).',
      format: 'positive-int',
      default: 30000,
      env: 'CADF_EXPORT_RETRY_MAX_DELAY_MS',
      arg: 'export-retry-max-delay-ms',
    },
    serviceName: {
      doc: 'Resource service.name; Loki makes it the service_name label.',
      format: String,
      default: 'openstack',
      env: 'OTEL_SERVICE_NAME',
      arg: 'otel-service-name',
    },
    resourceAttributes: {
      doc: 'Resource attributes, key=value,... e.g. cloud.region=RegionOne,deployment.environment.name=prod (Loki indexes these two as labels).',
      format: 'key-values',
      default: '',
      env: 'OTEL_RESOURCE_ATTRIBUTES',
      arg: 'otel-resource-attributes',
    },
  },
  metrics: {
    host: {
      doc: 'Address the /metrics, /healthz and /readyz server listens on.',
      format: String,
      default: '0.0.0.0',
      env: 'CADF_METRICS_HOST',
      arg: 'metrics-host',
    },
    port: {
      doc: 'Port of that server; 0 picks a free one.',
      format: 'port',
      default: 9464,
      env: 'CADF_METRICS_PORT',
      arg: 'metrics-port',
    },
    webConfigFile: {
      doc: 'Prometheus exporter-toolkit web configuration file (tls_server_config, basic_auth_users, http_server_config.headers) locking /metrics, /healthz and /readyz with TLS and/or basic auth. Read and checked at start; re-read on SIGHUP. Empty: plain HTTP, open. See docs/metrics-security.md.',
      format: String,
      default: '',
      env: 'CADF_WEB_CONFIG_FILE',
      arg: 'web-config-file',
    },
  },
  decode: {
    maxMessageBytes: {
      doc: 'Larger messages are dead-lettered (too_large) without being parsed.',
      format: 'positive-int',
      default: 1048576,
      env: 'CADF_MAX_MESSAGE_BYTES',
      arg: 'max-message-bytes',
    },
  },
  dedup: {
    size: {
      doc: 'oslo message_ids remembered, so redelivered messages are not counted twice.',
      format: 'positive-int',
      default: 100000,
      env: 'CADF_DEDUP_SIZE',
      arg: 'dedup-size',
    },
    dropApiRequests: {
      doc: "Ack keystonemiddleware's audit.http.request events without exporting them: the audit.http.response of the same call carries the same CADF id and details plus the outcome and status, so this halves the API records (as Hermes does). Counted as cadf_exporter_messages_received_total{result=\"api_request_dropped\"}. Off by default: a request whose service died before answering has no response, and its request is then the only trace of the call.",
      format: Boolean,
      default: false,
      env: 'CADF_DROP_API_REQUESTS',
      arg: 'drop-api-requests',
    },
  },
  enrich: {
    dataDir: {
      doc: 'Directory of the name memory (names.jsonl): names survive restarts and deletions. One exporter per directory. Empty: memory only.',
      format: String,
      default: 'data',
      env: 'CADF_DATA_DIR',
      arg: 'data-dir',
    },
    maxNames: {
      doc: 'Names remembered; the least recently learned are forgotten first (about 135 bytes of heap and 150 bytes on disk each: 200000 take 27 MB of the image\'s 96 MB heap, see docs/performance.md).',
      format: 'positive-int',
      default: 200000,
      env: 'CADF_MAX_NAMES',
      arg: 'max-names',
    },
    lookupWaitMs: {
      doc: 'Longest a batch of records waits for Keystone name lookups; then it is exported without the missing names.',
      format: 'nat',
      default: 250,
      env: 'CADF_LOOKUP_WAIT_MS',
      arg: 'lookup-wait-ms',
    },
    // Shared name store (issue 14): several replicas share what they learn.
    storeUrl: {
      doc: 'Shared name store for several replicas: mysql://user:password@host:3306/database (MariaDB, MySQL, Galera) or postgres://user:password@host:5432/database. Empty: each exporter has its own name memory. See docs/names.md.',
      format: 'store-url',
      default: '',
      env: 'CADF_ENRICH_STORE_URL',
      arg: 'enrich-store-url',
      sensitive: true,
    },
    storeRefreshIntervalMs: {
      doc: 'How often the names other replicas wrote to the shared store are read. A name learned by one replica is in the others\' memory within about storeFlushIntervalMs + this (and found at once by a cache miss after storeFlushIntervalMs).',
      format: 'positive-int',
      default: 2000,
      env: 'CADF_ENRICH_STORE_REFRESH_INTERVAL_MS',
      arg: 'enrich-store-refresh-interval-ms',
    },
    storeFlushIntervalMs: {
      doc: 'How often names learned here are written to the shared store (one multi-row upsert per interval); also how often an unreachable store is tried again.',
      format: 'positive-int',
      default: 1000,
      env: 'CADF_ENRICH_STORE_FLUSH_INTERVAL_MS',
      arg: 'enrich-store-flush-interval-ms',
    },
    storeTimeoutMs: {
      doc: 'Time limit of connecting to the shared store and of one statement.',
      format: 'positive-int',
      default: 2000,
      env: 'CADF_ENRICH_STORE_TIMEOUT_MS',
      arg: 'enrich-store-timeout-ms',
    },
  },
  keystone: {
    url: {
      doc: 'Keystone v3 URL for name lookups (e.g. http://keystone:5000/v3). Empty: no lookups, names come from events only.',
      format: 'optional-url',
      default: '',
      env: 'CADF_KEYSTONE_URL',
      arg: 'keystone-url',
      sensitive: true,
    },
    username: {
      doc: 'User for password auth (a reader in the cloud: lookups read users, projects, domains, groups, roles).',
      format: String,
      default: '',
      env: 'CADF_KEYSTONE_USERNAME',
      arg: 'keystone-username',
    },
    password: {
      doc: 'Its password.',
      format: String,
      default: '',
      env: 'CADF_KEYSTONE_PASSWORD',
      arg: 'keystone-password',
      sensitive: true,
    },
    userDomainName: {
      doc: "The user's domain.",
      format: String,
      default: 'Default',
      env: 'CADF_KEYSTONE_USER_DOMAIN_NAME',
      arg: 'keystone-user-domain-name',
    },
    projectName: {
      doc: 'Project to scope the token to (password auth).',
      format: String,
      default: 'admin',
      env: 'CADF_KEYSTONE_PROJECT_NAME',
      arg: 'keystone-project-name',
    },
    projectDomainName: {
      doc: "That project's domain.",
      format: String,
      default: 'Default',
      env: 'CADF_KEYSTONE_PROJECT_DOMAIN_NAME',
      arg: 'keystone-project-domain-name',
    },
    applicationCredentialId: {
      doc: 'Application credential id: used instead of the password when set.',
      format: String,
      default: '',
      env: 'CADF_KEYSTONE_APPLICATION_CREDENTIAL_ID',
      arg: 'keystone-application-credential-id',
    },
    applicationCredentialSecret: {
      doc: 'Application credential secret.',
      format: String,
      default: '',
      env: 'CADF_KEYSTONE_APPLICATION_CREDENTIAL_SECRET',
      arg: 'keystone-application-credential-secret',
      sensitive: true,
    },
    caFile: {
      doc: 'PEM CA file for an https Keystone with a private CA.',
      format: String,
      default: '',
      env: 'CADF_KEYSTONE_CA_FILE',
      arg: 'keystone-ca-file',
    },
    timeoutMs: {
      doc: 'Time limit of one Keystone request.',
      format: 'positive-int',
      default: 5000,
      env: 'CADF_KEYSTONE_TIMEOUT_MS',
      arg: 'keystone-timeout-ms',
    },
    maxRequestsPerSecond: {
      doc: 'Lookups started per second at most.',
      format: 'positive-int',
      default: 20,
      env: 'CADF_KEYSTONE_MAX_RPS',
      arg: 'keystone-max-rps',
    },
    negativeCacheSeconds: {
      doc: 'How long an id Keystone does not know is not asked for again.',
      format: 'positive-int',
      default: 600,
      env: 'CADF_KEYSTONE_NEGATIVE_CACHE_SECONDS',
      arg: 'keystone-negative-cache-seconds',
    },
    primeIntervalSeconds: {
      doc: "With keystone.url: list every user, project, domain, group and role at start and then every this many seconds, so objects that existed before the exporter are named when deleted. 0: no listing.",
      format: 'nat',
      default: 3600,
      env: 'CADF_KEYSTONE_PRIME_INTERVAL_SECONDS',
      arg: 'keystone-prime-interval-seconds',
    },
  },
  notify: {
    alertmanagerUrl: {
      doc: "Alertmanager base URL(s), comma-separated (every one of an HA cluster), e.g. http://alertmanager:9093: records matching a notification rule are posted to its v2 API (POST /api/v2/alerts). Empty: no notifications. See docs/notifications.md.",
      format: 'optional-url-list',
      default: [] as string[],
      env: 'CADF_NOTIFY_ALERTMANAGER_URL',
      arg: 'notify-alertmanager-url',
      sensitive: true,
    },
    builtinRules: {
      doc: 'Turn on the built-in notification rules: user deleted, project deleted, admin role granted, account locked, application credential created (docs/notifications.md).',
      format: Boolean,
      default: false,
      env: 'CADF_NOTIFY_BUILTIN_RULES',
      arg: 'notify-builtin-rules',
    },
    rules: {
      doc: 'Notification rules as a JSON array of {name, severity (info, warning, critical), match {event, category, resourceType, operation, outcome, role, initiator, target, reason: a glob or a list of globs}, summary}. A rule replaces a built-in or file rule of the same name.',
      format: 'json-array',
      default: [] as unknown[],
      env: 'CADF_NOTIFY_RULES',
      arg: 'notify-rules',
    },
    rulesFile: {
      doc: 'A JSON file holding an array of notification rules (as notify.rules).',
      format: String,
      default: '',
      env: 'CADF_NOTIFY_RULES_FILE',
      arg: 'notify-rules-file',
    },
    queueSize: {
      doc: 'Alerts waiting to be posted at most; while Alertmanager is slow or away, more are dropped and counted (cadf_exporter_notifications_dropped_total), so notifications never hold up the export.',
      format: 'positive-int',
      default: 1000,
      env: 'CADF_NOTIFY_QUEUE_SIZE',
      arg: 'notify-queue-size',
    },
    timeoutMs: {
      doc: 'Timeout of one POST to Alertmanager.',
      format: 'positive-int',
      default: 5000,
      env: 'CADF_NOTIFY_TIMEOUT_MS',
      arg: 'notify-timeout-ms',
    },
    maxRetries: {
      doc: 'Retries of a failed POST (backoff from 0.5 s doubling to 10 s); then its alerts are given up and counted (cadf_exporter_notifications_failed_total).',
      format: 'nat',
      default: 3,
      env: 'CADF_NOTIFY_MAX_RETRIES',
      arg: 'notify-max-retries',
    },
    resolveAfterSeconds: {
      doc: "How long an event's alert stays firing in Alertmanager before it resolves (its endsAt), counted from when it is posted.",
      format: 'positive-int',
      default: 3600,
      env: 'CADF_NOTIFY_RESOLVE_AFTER_SECONDS',
      arg: 'notify-resolve-after-seconds',
    },
  },
  sources: {
    doc: 'Where events come from: amqp (RabbitMQ), file (the services\' log files, no broker connection at all) or both.',
    format: ['amqp', 'file', 'both'],
    default: 'amqp',
    env: 'CADF_SOURCES',
    arg: 'sources',
  },
  file: {
    paths: {
      doc: 'With sources file or both: log files to read, comma-separated paths and globs (* and ? within a path segment), matched again every poll so new files are picked up. E.g. /var/log/keystone/*.log,/var/log/kolla/*/*.log.',
      format: Array,
      default: [] as string[],
      env: 'CADF_FILE_PATHS',
      arg: 'file-paths',
    },
    startAt: {
      doc: 'Where to start in a file never seen before that exists at start: its beginning (backfill) or its end. Files appearing later are always read from their beginning.',
      format: ['beginning', 'end'],
      default: 'beginning',
      env: 'CADF_FILE_START_AT',
      arg: 'file-start-at',
    },
    maxLineBytes: {
      doc: 'Longer lines (container partial lines joined) are dead-lettered (too_large) without being held whole.',
      format: 'positive-int',
      default: 1048576,
      env: 'CADF_FILE_MAX_LINE_BYTES',
      arg: 'file-max-line-bytes',
    },
    pollIntervalMs: {
      doc: 'How often the paths are matched and each file is checked for new lines, rotation and truncation (polling, not inotify: it survives rename rotation and network filesystems).',
      format: 'positive-int',
      default: 250,
      env: 'CADF_FILE_POLL_INTERVAL_MS',
      arg: 'file-poll-interval-ms',
    },
    window: {
      doc: 'Notification lines handed to the pipeline and not yet exported, at most: reading pauses at this many (bounded memory whatever the backlog).',
      format: 'positive-int',
      default: 1000,
      env: 'CADF_FILE_WINDOW',
      arg: 'file-window',
    },
  },
  log: {
    level: {
      doc: "The exporter's own log level (JSON lines on stderr).",
      format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      env: 'CADF_LOG_LEVEL',
      arg: 'log-level',
    },
  },
  shutdownTimeoutMs: {
    doc: 'On SIGTERM/SIGINT: how long to finish exports in flight; after it no request is in flight, no batch starts, no Keystone lookup fires, and what was not exported goes back to the queue.',
    format: 'positive-int',
    default: 10000,
    env: 'CADF_SHUTDOWN_TIMEOUT_MS',
    arg: 'shutdown-timeout-ms',
  },
};

/** The validated configuration's shape. */
export interface ConfigShape {
  amqp: {
    brokers: BrokerEntry[];
    url: string[];
    exchanges: string[];
    routingKeys: string[];
    queue: string;
    queueType: 'classic' | 'quorum';
    deadLetterQueue: string;
    deadLetterConfirmTimeoutMs: number;
    deadLetterRetryMaxDelayMs: number;
    exchangeDurable: boolean;
    prefetch: number;
    heartbeatSeconds: number;
    reconnectInitialDelayMs: number;
    reconnectMaxDelayMs: number;
    tls: { ca: string; cert: string; key: string; verify: boolean };
  };
  otlp: {
    endpoint: string;
    logsEndpoint: string;
    protocol: 'http/protobuf' | 'http/json';
    headers: Record<string, string>;
    compression: 'none' | 'gzip';
    timeoutMs: number;
    certificate: string;
    clientCertificate: string;
    clientKey: string;
    batchSize: number;
    batchMaxBytes: number;
    refusalsBeforeOutage: number;
    tenantBy: 'none' | 'project' | 'domain';
    tenantFallback: string;
    tenantHeader: string;
    batchDelayMs: number;
    maxConcurrentExports: number;
    retryMaxDelayMs: number;
    serviceName: string;
    resourceAttributes: Record<string, string>;
  };
  metrics: { host: string; port: number; webConfigFile: string };
  decode: { maxMessageBytes: number };
  dedup: { size: number; dropApiRequests: boolean };
  enrich: {
    dataDir: string;
    maxNames: number;
    lookupWaitMs: number;
    storeUrl: string;
    storeRefreshIntervalMs: number;
    storeFlushIntervalMs: number;
    storeTimeoutMs: number;
  };
  keystone: {
    url: string;
    username: string;
    password: string;
    userDomainName: string;
    projectName: string;
    projectDomainName: string;
    applicationCredentialId: string;
    applicationCredentialSecret: string;
    caFile: string;
    timeoutMs: number;
    maxRequestsPerSecond: number;
    negativeCacheSeconds: number;
    primeIntervalSeconds: number;
  };
  notify: {
    alertmanagerUrl: string[];
    builtinRules: boolean;
    rules: unknown[];
    rulesFile: string;
    queueSize: number;
    timeoutMs: number;
    maxRetries: number;
    resolveAfterSeconds: number;
  };
  sources: 'amqp' | 'file' | 'both';
  file: { paths: string[]; startAt: 'beginning' | 'end'; maxLineBytes: number; pollIntervalMs: number; window: number };
  log: { level: string };
  shutdownTimeoutMs: number;
}

export type Config = Readonly<ConfigShape>;
