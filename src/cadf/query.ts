/**
 * Query strings leave with the values of known, harmless parameters only. keystonemiddleware
 * puts the whole request path on the wire, and some APIs take credentials there: Swift's
 * temp_url_sig, S3-style X-Amz-Signature and X-Amz-Credential, signed URLs' `signature`, tokens
 * given as `?token=` by clients that cannot set headers. An allow-list rather than a deny-list:
 * a new API's secret parameter is redacted before anyone knows its name. The parameter names stay,
 * so "who made a temp URL" remains answerable. docs/attributes.md lists the parameters kept.
 */
export const QUERY_VALUES_KEPT: ReadonlySet<string> = new Set([
  // pagination and sorting (every API)
  'limit', 'marker', 'end_marker', 'sort', 'sort_key', 'sort_dir', 'page_reverse', 'reverse', 'offset', 'page', 'page_size',
  // scope and visibility
  'all_tenants', 'all_projects', 'reservation_id', 'project_id', 'tenant_id', 'user_id', 'domain_id', 'group_id', 'role_id', 'owner',
  'visibility', 'member_status', 'is_domain', 'parent_id', 'include_subtree', 'include_names', 'effective',
  'scope.project.id', 'scope.domain.id', 'scope.system', 'user.id', 'group.id', 'role.id',
  // common filters
  'name', 'status', 'enabled', 'deleted', 'type', 'id', 'host', 'availability_zone', 'region', 'region_id',
  'fields', 'detail', 'changes-since', 'changes_since', 'changes-before', 'tag', 'tags', 'tags-any', 'not-tags',
  'not-tags-any', 'flavor', 'image', 'ip', 'ip6', 'device_id', 'device_owner', 'network_id', 'subnet_id',
  'router_id', 'security_group_id', 'interface', 'service', 'service_id', 'version', 'nested',
  // Swift and object storage (the signature parameters are not here)
  'format', 'prefix', 'delimiter', 'path', 'multipart-manifest', 'symlink', 'bulk-delete', 'extract-archive',
  'temp_url_expires', 'filename', 'inline',
]);

export const REDACTED = 'REDACTED';

/** `limit=20&temp_url_sig=abc` -> `limit=20&temp_url_sig=REDACTED`. Never throws. */
export function redactQuery(query: string): string {
  if (query === '') return query;
  return query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part; // a flag without a value (`?detail`) carries nothing
      let name = part.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // a malformed escape: judge the name as written
      }
      return QUERY_VALUES_KEPT.has(name.toLowerCase()) ? part : `${part.slice(0, eq)}=${REDACTED}`;
    })
    .join('&');
}
