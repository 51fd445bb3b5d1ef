// One test per quirk of real Keystone and keystonemiddleware (../shared/reference/cadf-format.md §7).
import { describe, expect, it } from 'vitest';
import { decodeFile, metric } from '../support/decode.js';

describe('Keystone quirks', () => {
  it('an event with no initiator at all still maps, with no user attributes', () => {
    const d = decodeFile('cornercases/quirk-user-deleted-no-initiator.bin');
    expect(d.event.actor).toBeUndefined();
    expect(d.record.attributes).not.toHaveProperty('user.id');
    expect(d.record.attributes['openstack.resource.id']).toBe('7ec4ab48670241e6880354a8baf4e5d4');
    expect(d.record.body).toContain('by unknown');
    const grant = decodeFile('samples/keystone-role-assignment-created-group-domain-inherited-no-initiator.json');
    expect(grant.record.attributes['openstack.assignment.inherited']).toBe(true);
  });

  it('an unknown user name: user_name is the name tried, the random initiator id is not a user id', () => {
    const d = decodeFile('cornercases/quirk-auth-failure-unknown-user-name.bin');
    expect(d.record.attributes['user.name']).toBe('nosuchuser');
    expect(d.record.attributes).not.toHaveProperty('user.id');
    expect(d.record.attributes['cadf.initiator.id']).toBe('5b1f6c2e-0d8a-5e3f-9b7c-4a2d1e0f8c6b');
    expect(d.record.attributes['openstack.domain.name']).toBe('Default');
    expect(metric(d, 'cadf_authentications_total')?.labels).toEqual({
      outcome: 'failure',
      method: 'password',
      reason_code: '404',
    });
  });

  it('an unknown user id: JSON nulls are absent values, the tried id is kept', () => {
    const d = decodeFile('cornercases/quirk-auth-failure-unknown-user-id.bin');
    expect(d.record.attributes['user.id']).toBe('0123456789abcdef0123456789abcdef');
    expect(d.record.attributes).not.toHaveProperty('openstack.domain.id');
    expect(d.record.attributes['cadf.reason.code']).toBe('404');
  });

  it('a locked account carries reason 401; a wrong password carries no reason', () => {
    const locked = decodeFile('cornercases/quirk-auth-failure-locked.bin');
    expect(locked.record.attributes['cadf.reason.code']).toBe('401');
    expect(locked.record.severityText).toBe('WARN');
    const wrong = decodeFile('cornercases/quirk-auth-failure-wrong-password.bin');
    expect(wrong.record.attributes).not.toHaveProperty('cadf.reason.code');
    expect(metric(wrong, 'cadf_authentications_total')?.labels.reason_code).toBe('none');
  });

  it('the target of authenticate and role_assignment events is random, never the subject', () => {
    const auth = decodeFile('samples/keystone-authenticate-success-domain-scoped.json');
    expect(auth.record.attributes['user.id']).not.toBe(auth.record.attributes['cadf.target.id']);
    expect(auth.record.attributes).not.toHaveProperty('openstack.resource.id');
    const grant = decodeFile('samples/keystone-role-assignment-created-group-project.json');
    expect(grant.record.attributes).not.toHaveProperty('openstack.resource.id');
    expect(grant.record.attributes['openstack.assignment.group.id']).toBe('47bd6f38f232498685ac777930628bba');
    expect(grant.record.attributes['openstack.assignment.project.id']).toBe('67d2181ad2d9419a91ccd29f3072399f');
    expect(grant.record.attributes['openstack.role.id']).toBe('cd59c4c1743047e59b884d924d98c8ed');
  });

  it('outcome success with reason 400 (password policy) is at least WARN', () => {
    const d = decodeFile('samples/keystone-user-updated-password-history-reason.json');
    expect(d.record.attributes['cadf.outcome']).toBe('success');
    expect(d.record.attributes['cadf.reason.code']).toBe('400');
    expect(d.record.severityText).toBe('WARN');
  });

  it('a failed grant is counted as a failed role_assignment operation', () => {
    const d = decodeFile('cornercases/quirk-role-assignment-failure.bin');
    expect(metric(d, 'cadf_identity_operations_total')?.labels).toEqual({
      resource_type: 'role_assignment',
      operation: 'created',
      outcome: 'failure',
    });
  });

  it('event types split on the LAST dot (`OS-TRUST:trust`, `project tag`)', () => {
    const trust = decodeFile('cornercases/quirk-trust-event-type-split-on-last-dot.bin');
    expect(trust.record.attributes['openstack.resource.type']).toBe('trust');
    expect(trust.record.attributes['openstack.resource.operation']).toBe('deleted');
    const tag = decodeFile('cornercases/quirk-tag-event-type-split-on-last-dot.bin');
    expect(tag.record.attributes['openstack.resource.type']).toBe('project_tag');
  });

  it('federated logins: the shadow user, the identity provider, never the random initiator id', () => {
    const d = decodeFile('samples/keystone-authenticate-federated-openid-success.json');
    expect(d.record.attributes['openstack.auth.method']).toBe('federated');
    expect(d.record.attributes['openstack.auth.identity_provider']).toBe('acme');
    expect(d.record.attributes['user.id']).toMatch(/^[0-9a-f]{64}$/);
    const failed = decodeFile('samples/keystone-authenticate-federated-failure-mapping.json');
    expect(failed.record.attributes).not.toHaveProperty('user.id'); // credential.user is "unknown"
  });

  it('Keystone >= 28 `name` and older `username` give the same user.name', () => {
    const d = decodeFile('samples/keystone-authenticate-success-keystone28plus-initiator-name.json');
    expect(d.record.attributes['user.name']).toBe('admin');
  });
});

describe('keystonemiddleware quirks', () => {
  const req = decodeFile('samples/audit-network-port-delete-409-x-forwarded-for-request.json', 'neutron');
  const res = decodeFile('samples/audit-network-port-delete-409-x-forwarded-for-response.json', 'neutron');

  it('request and response share the CADF id, but are distinct records; only the response counts', () => {
    expect(req.record.attributes['cadf.event.id']).toBe(res.record.attributes['cadf.event.id']);
    expect(req.record.attributes['log.record.uid']).not.toBe(res.record.attributes['log.record.uid']);
    expect(metric(req, 'cadf_api_requests_total')).toBeUndefined();
    expect(metric(res, 'cadf_api_requests_total')?.labels).toEqual({
      service: 'network',
      action: 'delete',
      outcome: 'failure',
    });
  });

  it('the response carries the status code and the duration from reporterchain', () => {
    expect(res.record.attributes['http.response.status_code']).toBe(409);
    expect(res.record.attributes['openstack.api.duration']).toBeCloseTo(0.001821, 6);
    expect(req.record.attributes).not.toHaveProperty('http.response.status_code');
  });

  it('the left-most X-Forwarded-For address is the client address', () => {
    expect(res.record.attributes['client.address']).toBe('203.0.113.7');
  });

  it('"unknown" strings are not values: an anonymous call has no user', () => {
    const d = decodeFile('samples/audit-object-store-public-container-anonymous-response.json', 'swift');
    expect(d.record.attributes).not.toHaveProperty('user.id');
    expect(d.record.attributes).not.toHaveProperty('openstack.project.id');
    expect(d.record.attributes['cadf.initiator.identity_status']).toBe('Invalid');
    expect(metric(d, 'cadf_api_requests_total')?.labels.service).toBe('object-store');
  });

  it('an app exception (outcome unknown, no reason) is ERROR', () => {
    const d = decodeFile('samples/audit-compute-server-show-app-exception-response.json', 'nova');
    expect(d.record.severityText).toBe('ERROR');
    expect(d.record.attributes).not.toHaveProperty('http.response.status_code');
  });

  it('an unmapped catalog type falls back to the catalog name for the service', () => {
    const d = decodeFile('samples/audit-volume-list-block-storage-type-unmapped-response.json');
    expect(d.record.attributes['cadf.target.type_uri']).toBe('unknown');
    expect(d.record.attributes['openstack.service']).toBe('block-storage');
  });

  it('the query string goes to url.query, the path to url.path', () => {
    const d = decodeFile('cornercases/api-response-5xx.bin');
    expect(d.record.attributes['url.path']).toBe('/v1/stacks');
    expect(d.record.attributes['url.query']).toBe('limit=5');
    expect(d.record.severityText).toBe('ERROR');
  });

  it('actions outside the taxonomy detail are cut to their taxonomy word for the label', () => {
    const d = decodeFile('samples/audit-compute-server-action-os-stop-ok-response.json', 'nova');
    expect(d.record.attributes['cadf.action']).toBe('update/os-stop');
    expect(metric(d, 'cadf_api_requests_total')?.labels.action).toBe('update');
  });
});

describe('envelopes and timestamps', () => {
  it('v1 and v2 envelopes of the same kind of event decode alike', () => {
    const v1 = decodeFile('samples/oslo-v1-plain-audit-compute-server-delete-ok-response.json');
    const v2 = decodeFile('samples/audit-compute-server-delete-404-response.json');
    expect(v1.event.notification.envelope).toBe('v1');
    expect(v2.event.notification.envelope).toBe('v2');
    expect(Object.keys(v1.record.attributes).sort()).toEqual(Object.keys(v2.record.attributes).sort());
  });

  it('`+0000`, `+00:00`, `Z`, other offsets and naive times are all read as the same instant', () => {
    expect(decodeFile('cornercases/naive-event-time-int-reason.bin').event.time).toEqual(
      decodeFile('samples/keystone-doc-authenticate-success.json').event.time,
    );
    expect(decodeFile('cornercases/unknown-identity-resource.bin').event.time).toEqual([
      Date.UTC(2026, 10, 23, 5, 34, 7) / 1000,
      500_000_000,
    ]);
  });

  it('basic format takes its time from the envelope timestamp', () => {
    const d = decodeFile('cornercases/basic-group-membership-added.bin');
    expect(d.event.time).toEqual([Date.UTC(2026, 10, 23, 0, 4, 7) / 1000, 0]);
    expect(d.record.attributes['openstack.actor.operation']).toBe('added');
  });

  it('an integer reasonCode (as the Keystone docs print it) becomes the wire string', () => {
    const d = decodeFile('cornercases/naive-event-time-int-reason.bin');
    expect(d.record.attributes['cadf.reason.code']).toBe('401');
  });

  it('priority in any case', () => {
    expect(decodeFile('cornercases/naive-event-time-int-reason.bin').record.severityText).toBe('WARN');
    expect(decodeFile('cornercases/deep-nesting-in-unknown-key.bin').event.notification.priority).toBe('INFO');
  });
});
