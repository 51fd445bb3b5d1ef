/**
 * Which OpenStack service an API audit event is about, as a bounded label value. keystonemiddleware's
 * publisher_id is a process name (`uwsgi`), so the answer comes from the target's CADF type
 * (pycadf's `[service_endpoints]` maps), then the target's catalog name, then the AMQP exchange.
 */
const TYPE_URI_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['service/compute/baremetal', 'baremetal'],
  ['service/compute', 'compute'],
  ['service/storage/image', 'image'],
  ['service/storage/block', 'block-storage'],
  ['service/storage/object', 'object-store'],
  ['service/security/keymanager', 'key-manager'],
  ['service/security', 'identity'],
  ['service/network', 'network'],
  ['service/orchestration', 'orchestration'],
  ['service/database', 'database'],
  ['service/metric', 'metric'],
  ['service/metering', 'metering'],
  ['service/event', 'event'],
  ['service/dns', 'dns'],
  ['service/loadbalancer', 'load-balancer'],
  ['service/sharedfilesystem', 'shared-file-system'],
];

/** Catalog service names (`target.name`) and control exchanges -> service type. */
const NAMES: ReadonlyMap<string, string> = new Map(
  Object.entries({
  nova: 'compute',
  glance: 'image',
  cinder: 'block-storage',
  cinderv2: 'block-storage',
  cinderv3: 'block-storage',
  neutron: 'network',
  swift: 'object-store',
  barbican: 'key-manager',
  heat: 'orchestration',
  ironic: 'baremetal',
  trove: 'database',
  gnocchi: 'metric',
  ceilometer: 'metering',
  panko: 'event',
  designate: 'dns',
  dns: 'dns',
  octavia: 'load-balancer',
  manila: 'shared-file-system',
  placement: 'placement',
  keystone: 'identity',
  aodh: 'alarming',
  magnum: 'container-infra',
  zaqar: 'messaging',
  }),
);

export const UNKNOWN_SERVICE = 'unknown';

/** Every value serviceOf can return: the metric label's closed set. */
export const SERVICES: ReadonlySet<string> = new Set([
  ...TYPE_URI_PREFIXES.map(([, s]) => s),
  ...NAMES.values(),
  UNKNOWN_SERVICE,
]);

/** Service types as a resource typeURI's first segment (SAP's `compute/server`, `volume/...`). */
const TYPE_SEGMENTS: ReadonlyMap<string, string> = new Map(
  Object.entries({
  compute: 'compute',
  image: 'image',
  volume: 'block-storage',
  volumev3: 'block-storage',
  'block-storage': 'block-storage',
  network: 'network',
  'object-store': 'object-store',
  'key-manager': 'key-manager',
  dns: 'dns',
  'load-balancer': 'load-balancer',
  sharev2: 'shared-file-system',
  'shared-file-system': 'shared-file-system',
  baremetal: 'baremetal',
  orchestration: 'orchestration',
  identity: 'identity',
  }),
);

export function serviceOf(
  targetTypeURI: string | undefined,
  targetName: string | undefined,
  exchange: string | undefined,
  observerTypeURI?: string,
): string {
  return (
    ofTypeURI(targetTypeURI) ??
    (targetName !== undefined ? NAMES.get(targetName) : undefined) ??
    // SAP's audit middleware: the target is the resource, the observer `service/<type>`.
    ofTypeURI(observerTypeURI) ??
    (exchange !== undefined ? NAMES.get(exchange) : undefined) ??
    UNKNOWN_SERVICE
  );
}

function ofTypeURI(typeURI: string | undefined): string | undefined {
  if (typeURI === undefined) return undefined;
  if (typeURI.startsWith('service/')) {
    for (const [prefix, service] of TYPE_URI_PREFIXES) {
      if (typeURI.startsWith(prefix)) return service;
    }
    // `service/<type>` as SAP's observer says it.
    return TYPE_SEGMENTS.get(typeURI.slice('service/'.length).split('/')[0]!);
  }
  const first = typeURI.split('/')[0]!;
  return TYPE_SEGMENTS.get(first) ?? NAMES.get(first);
}
