#!/usr/bin/python3
"""Scripted Keystone / keystonemiddleware-audit scenario for cadf-exporter.

    /usr/bin/python3 scenario.py [--state-dir DIR] run [--verify | --verify-at-end]
                                 [--run-id ID] [--capture-out FILE] [--quiet]
    /usr/bin/python3 scenario.py [--state-dir DIR] setup   (harness.sh start runs it)
    /usr/bin/python3 scenario.py expected                  (the plan, unresolved)
    /usr/bin/python3 scenario.py table                     (markdown table for README)

`run` executes the steps listed in scenario.json, in order, against the
harness started by harness.sh (state dir from --state-dir, $KS_STATE_DIR or
/tmp/cadf-keystone-harness/current) and prints a JSON summary on stdout:

    {"run_id": ..., "elapsed_seconds": ...,
     "steps": [{"id", "title", "expected": [...]}, ...],
     "expected": [every expected event in order, each with its "step"],
     "counts": {"<event_type>/<outcome>": n, ...},
     "counts_by_reason": {"<event_type>/<outcome>/<reasonCode>": n, ...},
     "total": n, "verified": true|false|null, "mismatches": [...]}

Every expected event is resolved: names carry the run id, "@kind:key"
references are replaced by real ids. With --verify the script binds its own
exclusive queue to the exchanges `keystone` and `openstack` (capture.py)
before the first step and compares, step by step, what really arrives with
what scenario.json says (event_type, outcome, reasonCode, exchange and every
hint); --verify-at-end runs the steps at full speed and compares the whole
capture once at the end. Exit status 1 on any difference. At the end oslo's
default queue `notifications.info` is deleted if nobody consumes it.

Only plain HTTP is used (one call = one HTTP request: no retries, no
re-authentication), except the two steps that show what the `openstack` CLI
does (one login per call, and keystoneauth's retry after a 401).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import kslib  # noqa: E402
from kslib import login, request  # noqa: E402

SCENARIO_FILE = os.path.join(HERE, "scenario.json")
OPENSTACK = "/usr/bin/openstack"


def log(msg):
    print("[scenario] %s" % msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------- setup
def cmd_setup(args, h):
    """Objects the harness needs; run once by `harness.sh start`.

    A `service` project, a `nova` service user with role admin on it and an
    application credential for auth_token (logins by application credential
    emit nothing, so auth_token never adds events to a scenario), and a
    `compute` service named `nova` with public/internal/admin endpoints on the
    fake compute API (so audit resolves target service/compute/...).
    """
    ks = h["ks_url"]
    _, tok, _ = login(ks, user="admin", password=h["admin_password"],
                      project="admin")
    _, _, b = request("POST", ks + "/projects", tok,
                      {"project": {"name": "service", "domain_id": "default",
                                   "description": "harness service project"}},
                      expect=201)
    svc_project = b["project"]["id"]
    pw = uuid.uuid4().hex
    _, _, b = request("POST", ks + "/users", tok,
                      {"user": {"name": "nova", "password": pw,
                                "domain_id": "default",
                                "default_project_id": svc_project}},
                      expect=201)
    nova_id = b["user"]["id"]
    _, _, b = request("GET", ks + "/roles?name=admin", tok, expect=200)
    admin_role = b["roles"][0]["id"]
    request("PUT", ks + "/projects/%s/users/%s/roles/%s"
            % (svc_project, nova_id, admin_role), tok, expect=204)
    _, ntok, _ = login(ks, user="nova", password=pw, project="service")
    _, _, b = request("POST", ks + "/users/%s/application_credentials"
                      % nova_id, ntok,
                      {"application_credential": {
                          "name": "auth_token",
                          "description": "keystonemiddleware auth_token"}},
                      expect=201)
    ac = b["application_credential"]
    _, _, b = request("POST", ks + "/services", tok,
                      {"service": {"type": "compute", "name": "nova",
                                   "description": "fake compute API behind "
                                   "keystonemiddleware audit"}}, expect=201)
    svc = b["service"]["id"]
    url = "http://127.0.0.1:%d/v2.1" % h["ksm_port"]
    for iface in ("public", "internal", "admin"):
        request("POST", ks + "/endpoints", tok,
                {"endpoint": {"service_id": svc, "interface": iface,
                              "url": url, "region_id": h["region"]}},
                expect=201)
    json.dump({"app_cred_id": ac["id"], "app_cred_secret": ac["secret"],
               "service_project_id": svc_project, "nova_user_id": nova_id,
               "compute_service_id": svc, "compute_url": url}, sys.stdout)
    print()
    return 0


# --------------------------------------------------------------------- steps
class Ctx(object):
    def __init__(self, h, run):
        self.h = h
        self.run = run
        self.ks = h["ks_url"]
        self.ksm = h["ksm_url"] + "/v2.1"
        self.ids = {}
        self.tokens = {}
        self.pw = {}
        self.last_step_end = time.time()

    def wait_next_second(self):
        """Fernet tokens carry a whole-second issued_at and Keystone treats a
        token issued in the same second as a matching revocation event as
        revoked (e.g. alice's tokens after group-remove-user). Before a login
        whose token is reused, wait until the second after the last step."""
        t = int(self.last_step_end) + 1.02 - time.time()
        if t > 0:
            time.sleep(t)

    def n(self, key):
        """Run-unique name of a logical object."""
        return "%s-%s" % (key, self.run)

    def reg(self, ref, value):
        self.ids[ref] = value
        return value

    @property
    def admin(self):
        return self.tokens["admin"]


STEPS = {}


def step(name):
    def deco(fn):
        STEPS[name] = fn
        return fn
    return deco


def create(ctx, path, kind, key, body, token=None, ref_kind=None):
    _, _, b = request("POST", ctx.ks + path, token or ctx.admin, body,
                      expect=201)
    return ctx.reg("%s:%s" % (ref_kind or kind, key), b[kind]["id"])


def patch(ctx, path, body, token=None, expect=200):
    request("PATCH", ctx.ks + path, token or ctx.admin, body, expect=expect)


def delete(ctx, path, token=None, expect=204):
    request("DELETE", ctx.ks + path, token or ctx.admin, expect=expect)


@step("admin-login")
def s_admin_login(ctx):
    ctx.wait_next_second()
    _, ctx.tokens["admin"], _ = login(ctx.ks, user="admin",
                                      password=ctx.h["admin_password"],
                                      project=ctx.h["admin_project"])
    # lookups (list/show calls emit nothing)
    for name in ("admin", "member", "reader"):
        _, _, b = request("GET", ctx.ks + "/roles?name=" + name, ctx.admin,
                          expect=200)
        ctx.reg("role:" + name, b["roles"][0]["id"])


@step("domain-create")
def s_domain_create(ctx):
    create(ctx, "/domains", "domain", "dom",
           {"domain": {"name": ctx.n("dom"), "description": "scenario"}})


@step("domain-update")
def s_domain_update(ctx):
    patch(ctx, "/domains/" + ctx.ids["domain:dom"],
          {"domain": {"description": "scenario, updated"}})


@step("project-create")
def s_project_create(ctx):
    create(ctx, "/projects", "project", "proj",
           {"project": {"name": ctx.n("proj"), "domain_id": "default"}})


@step("project-update")
def s_project_update(ctx):
    patch(ctx, "/projects/" + ctx.ids["project:proj"],
          {"project": {"description": "updated"}})


@step("project-tag-add")
def s_project_tag_add(ctx):
    request("PUT", "%s/projects/%s/tags/%s" % (ctx.ks, ctx.ids["project:proj"],
                                                ctx.n("tag")),
            ctx.admin, expect=201)


@step("project-tags-replace")
def s_project_tags_replace(ctx):
    request("PUT", "%s/projects/%s/tags" % (ctx.ks, ctx.ids["project:proj"]),
            ctx.admin, {"tags": [ctx.n("tag"), ctx.n("tag2")]}, expect=200)


@step("project-tag-delete")
def s_project_tag_delete(ctx):
    delete(ctx, "/projects/%s/tags/%s" % (ctx.ids["project:proj"],
                                          ctx.n("tag2")))


def _user(ctx, key, password, **extra):
    ctx.pw[key] = password
    body = {"name": ctx.n(key), "password": password, "domain_id": "default"}
    body.update(extra)
    return create(ctx, "/users", "user", key, {"user": body})


@step("user-create")
def s_user_create(ctx):
    _user(ctx, "alice", "alice-pw-1",
          default_project_id=ctx.ids["project:proj"])


@step("more-users-create")
def s_more_users(ctx):
    for key in ("bob", "carol", "dave", "erin"):
        _user(ctx, key, key + "-pw-1")


@step("user-update")
def s_user_update(ctx):
    patch(ctx, "/users/" + ctx.ids["user:alice"],
          {"user": {"email": "alice@example.org"}})


@step("group-create")
def s_group_create(ctx):
    create(ctx, "/groups", "group", "grp",
           {"group": {"name": ctx.n("grp"), "domain_id": "default"}})


@step("group-update")
def s_group_update(ctx):
    patch(ctx, "/groups/" + ctx.ids["group:grp"],
          {"group": {"description": "updated"}})


@step("group-add-user")
def s_group_add_user(ctx):
    request("PUT", "%s/groups/%s/users/%s" % (ctx.ks, ctx.ids["group:grp"],
                                               ctx.ids["user:alice"]),
            ctx.admin, expect=204)


@step("group-remove-user")
def s_group_remove_user(ctx):
    delete(ctx, "/groups/%s/users/%s" % (ctx.ids["group:grp"],
                                         ctx.ids["user:alice"]))


@step("role-create")
def s_role_create(ctx):
    create(ctx, "/roles", "role", "role", {"role": {"name": ctx.n("role")}})


@step("role-update")
def s_role_update(ctx):
    patch(ctx, "/roles/" + ctx.ids["role:role"],
          {"role": {"description": "updated"}})


def _grant_path(ctx, target_kind, target, actor_kind, actor, role):
    return "%s/%s/%s/%s/%s/roles/%s" % (ctx.ks, target_kind, target,
                                         actor_kind, actor, role)


@step("grant-user-project")
def s_grant_user_project(ctx):
    request("PUT", _grant_path(ctx, "projects", ctx.ids["project:proj"],
                               "users", ctx.ids["user:alice"],
                               ctx.ids["role:member"]), ctx.admin, expect=204)


@step("grant-group-domain")
def s_grant_group_domain(ctx):
    request("PUT", _grant_path(ctx, "domains", ctx.ids["domain:dom"],
                               "groups", ctx.ids["group:grp"],
                               ctx.ids["role:role"]), ctx.admin, expect=204)


@step("grant-unknown-role")
def s_grant_unknown_role(ctx):
    role = ctx.reg("unknown:role", uuid.uuid4().hex)
    request("PUT", _grant_path(ctx, "projects", ctx.ids["project:proj"],
                               "users", ctx.ids["user:bob"], role),
            ctx.admin, expect=404)


@step("grant-erin-project")
def s_grant_erin_project(ctx):
    request("PUT", _grant_path(ctx, "projects", ctx.ids["project:proj"],
                               "users", ctx.ids["user:erin"],
                               ctx.ids["role:member"]), ctx.admin, expect=204)


@step("role-create-domain-specific")
def s_role_create_domain_specific(ctx):
    create(ctx, "/roles", "role", "drole",
           {"role": {"name": ctx.n("drole"),
                     "domain_id": ctx.ids["domain:dom"]}})


@step("grant-domain-role-mismatch")
def s_grant_domain_role_mismatch(ctx):
    request("PUT", _grant_path(ctx, "projects", ctx.ids["project:proj"],
                               "users", ctx.ids["user:alice"],
                               ctx.ids["role:drole"]), ctx.admin, expect=403)


@step("revoke-not-granted")
def s_revoke_not_granted(ctx):
    request("DELETE", _grant_path(ctx, "projects", ctx.ids["project:proj"],
                                  "users", ctx.ids["user:bob"],
                                  ctx.ids["role:member"]), ctx.admin,
            expect=404)


@step("revoke-unknown-role")
def s_revoke_unknown_role(ctx):
    request("DELETE", _grant_path(ctx, "projects", ctx.ids["project:proj"],
                                  "users", ctx.ids["user:bob"],
                                  ctx.reg("unknown:role2", uuid.uuid4().hex)),
            ctx.admin, expect=404)


@step("alice-login")
def s_alice_login(ctx):
    ctx.wait_next_second()
    _, ctx.tokens["alice"], _ = login(ctx.ks, user=ctx.n("alice"),
                                      password=ctx.pw["alice"],
                                      project=ctx.n("proj"))


@step("grant-by-non-admin")
def s_grant_by_non_admin(ctx):
    request("PUT", _grant_path(ctx, "projects", ctx.ids["project:proj"],
                               "users", ctx.ids["user:alice"],
                               ctx.ids["role:admin"]),
            ctx.tokens["alice"], expect=403)


@step("revoke-group-domain")
def s_revoke_group_domain(ctx):
    request("DELETE", _grant_path(ctx, "domains", ctx.ids["domain:dom"],
                                  "groups", ctx.ids["group:grp"],
                                  ctx.ids["role:role"]), ctx.admin,
            expect=204)


@step("region-create")
def s_region_create(ctx):
    create(ctx, "/regions", "region", "reg",
           {"region": {"id": ctx.n("reg"), "description": "scenario"}})


@step("region-update")
def s_region_update(ctx):
    patch(ctx, "/regions/" + ctx.n("reg"),
          {"region": {"description": "updated"}})


@step("service-create")
def s_service_create(ctx):
    create(ctx, "/services", "service", "svc",
           {"service": {"type": ctx.n("dummy"), "name": ctx.n("dummy")}})


@step("service-update")
def s_service_update(ctx):
    patch(ctx, "/services/" + ctx.ids["service:svc"],
          {"service": {"description": "updated"}})


@step("endpoint-create")
def s_endpoint_create(ctx):
    create(ctx, "/endpoints", "endpoint", "ep",
           {"endpoint": {"service_id": ctx.ids["service:svc"],
                         "interface": "public",
                         "url": "http://127.0.0.1:9/dummy",
                         "region_id": ctx.n("reg")}})


@step("endpoint-update")
def s_endpoint_update(ctx):
    patch(ctx, "/endpoints/" + ctx.ids["endpoint:ep"],
          {"endpoint": {"url": "http://127.0.0.1:9/dummy2"}})


@step("endpoint-delete")
def s_endpoint_delete(ctx):
    delete(ctx, "/endpoints/" + ctx.ids["endpoint:ep"])


@step("service-delete")
def s_service_delete(ctx):
    delete(ctx, "/services/" + ctx.ids["service:svc"])


@step("region-delete")
def s_region_delete(ctx):
    delete(ctx, "/regions/" + ctx.n("reg"))


@step("credential-create")
def s_credential_create(ctx):
    create(ctx, "/credentials", "credential", "cred",
           {"credential": {"type": "cert", "user_id": ctx.ids["user:alice"],
                           "blob": "cert-" + ctx.run}})


@step("credential-update")
def s_credential_update(ctx):
    patch(ctx, "/credentials/" + ctx.ids["credential:cred"],
          {"credential": {"blob": "cert2-" + ctx.run}})


@step("credential-delete")
def s_credential_delete(ctx):
    delete(ctx, "/credentials/" + ctx.ids["credential:cred"])


@step("app-cred-create")
def s_app_cred_create(ctx):
    _, _, b = request("POST", "%s/users/%s/application_credentials"
                      % (ctx.ks, ctx.ids["user:alice"]), ctx.tokens["alice"],
                      {"application_credential": {"name": ctx.n("appcred")}},
                      expect=201)
    ac = b["application_credential"]
    ctx.reg("application_credential:ac", ac["id"])
    ctx.pw["appcred"] = ac["secret"]


@step("app-cred-login")
def s_app_cred_login(ctx):
    request("POST", ctx.ks + "/auth/tokens", body={"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {
            "id": ctx.ids["application_credential:ac"],
            "secret": ctx.pw["appcred"]}}}}, expect=201)


@step("app-cred-delete")
def s_app_cred_delete(ctx):
    delete(ctx, "/users/%s/application_credentials/%s"
           % (ctx.ids["user:alice"], ctx.ids["application_credential:ac"]),
           token=ctx.tokens["alice"])


@step("trust-create")
def s_trust_create(ctx):
    create(ctx, "/OS-TRUST/trusts", "trust", "trust",
           {"trust": {"trustor_user_id": ctx.ids["user:alice"],
                      "trustee_user_id": ctx.ids["user:bob"],
                      "project_id": ctx.ids["project:proj"],
                      "roles": [{"name": "member"}],
                      "impersonation": False}},
           token=ctx.tokens["alice"])


@step("trust-delete")
def s_trust_delete(ctx):
    delete(ctx, "/OS-TRUST/trusts/" + ctx.ids["trust:trust"],
           token=ctx.tokens["alice"])


@step("policy-create")
def s_policy_create(ctx):
    create(ctx, "/policies", "policy", "pol",
           {"policy": {"type": "application/json",
                       "blob": json.dumps({"run": ctx.run})}})


@step("policy-update")
def s_policy_update(ctx):
    patch(ctx, "/policies/" + ctx.ids["policy:pol"],
          {"policy": {"blob": json.dumps({"run": ctx.run, "v": 2})}})


@step("policy-delete")
def s_policy_delete(ctx):
    delete(ctx, "/policies/" + ctx.ids["policy:pol"])


@step("login-wrong-password")
def s_login_wrong_password(ctx):
    login(ctx.ks, user=ctx.n("alice"), password="not-the-password",
          expect=401)


@step("login-unknown-user-name")
def s_login_unknown_user_name(ctx):
    login(ctx.ks, user=ctx.n("nosuch"), password="whatever-pw", expect=401)


@step("login-unknown-user-id")
def s_login_unknown_user_id(ctx):
    login(ctx.ks, user_id=ctx.reg("unknown:userid", uuid.uuid4().hex),
          password="whatever-pw", expect=401)


@step("login-lockout")
def s_login_lockout(ctx):
    for _ in range(3):
        login(ctx.ks, user=ctx.n("carol"), password="wrong-pw", expect=401)
    login(ctx.ks, user=ctx.n("carol"), password=ctx.pw["carol"], expect=401)


@step("user-disable")
def s_user_disable(ctx):
    patch(ctx, "/users/" + ctx.ids["user:bob"], {"user": {"enabled": False}})


@step("login-disabled-user")
def s_login_disabled_user(ctx):
    login(ctx.ks, user=ctx.n("bob"), password=ctx.pw["bob"], expect=401)


@step("login-unknown-domain")
def s_login_unknown_domain(ctx):
    login(ctx.ks, user=ctx.n("alice"), password=ctx.pw["alice"],
          domain=uuid.uuid4().hex, expect=401)


def _change_password(ctx, key, original, new, expect):
    request("POST", "%s/users/%s/password" % (ctx.ks, ctx.ids["user:" + key]),
            body={"user": {"original_password": original, "password": new}},
            expect=expect)


@step("password-change-self")
def s_password_change_self(ctx):
    _change_password(ctx, "dave", ctx.pw["dave"], "dave-pw-2", 204)
    ctx.pw["dave"] = "dave-pw-2"


@step("password-change-regex-rejected")
def s_password_change_regex(ctx):
    _change_password(ctx, "dave", ctx.pw["dave"], "abc", 400)


@step("password-change-history-rejected")
def s_password_change_history(ctx):
    _change_password(ctx, "dave", ctx.pw["dave"], ctx.pw["dave"], 400)


@step("password-change-wrong-original")
def s_password_change_wrong_original(ctx):
    _change_password(ctx, "dave", "wrong-original", "dave-pw-3", 401)


def _openstack(ctx, user, password, project, *argv, expect_rc=0):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OS_")}
    env.update({"OS_AUTH_URL": ctx.ks, "OS_IDENTITY_API_VERSION": "3",
                "OS_USERNAME": user, "OS_PASSWORD": password,
                "OS_USER_DOMAIN_ID": "default",
                "OS_INTERFACE": "public", "OS_REGION_NAME": ctx.h["region"],
                "HOME": env.get("HOME", "/root")})
    if project:
        env.update({"OS_PROJECT_NAME": project,
                    "OS_PROJECT_DOMAIN_ID": "default"})
    p = subprocess.run([OPENSTACK] + list(argv), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=120)
    if p.returncode != expect_rc:
        raise RuntimeError("openstack %s: rc %d (wanted %d): %s"
                           % (" ".join(argv), p.returncode, expect_rc,
                              p.stderr.strip()[-500:]))
    return p


@step("cli-project-list")
def s_cli_project_list(ctx):
    _openstack(ctx, "admin", ctx.h["admin_password"], ctx.h["admin_project"],
               "project", "list", "-f", "value")


@step("cli-password-set-wrong-original")
def s_cli_password_set(ctx):
    _openstack(ctx, ctx.n("erin"), ctx.pw["erin"], ctx.n("proj"),
               "user", "password", "set", "--original-password",
               "wrong-original", "--password", "erin-pw-2", expect_rc=1)


def _audit(ctx, method, path, token, expect, body=None, headers=None):
    return request(method, ctx.ksm + path, token, body, headers=headers,
                   expect=expect)


@step("audit-server-list")
def s_audit_server_list(ctx):
    _audit(ctx, "GET", "/servers", ctx.admin, 200)


@step("audit-server-create")
def s_audit_server_create(ctx):
    _, _, b = _audit(ctx, "POST", "/servers", ctx.admin, 202,
                     {"server": {"name": ctx.n("vm")}})
    ctx.reg("server:srv", b["server"]["id"])


@step("audit-server-show")
def s_audit_server_show(ctx):
    _audit(ctx, "GET", "/servers/" + ctx.ids["server:srv"], ctx.admin, 200)


@step("audit-server-action")
def s_audit_server_action(ctx):
    _audit(ctx, "POST", "/servers/%s/action" % ctx.ids["server:srv"],
           ctx.admin, 202, {"os-stop": None})


@step("audit-server-show-404")
def s_audit_server_show_404(ctx):
    _audit(ctx, "GET", "/servers/" + ctx.reg("unknown:server",
                                             str(uuid.uuid4())),
           ctx.admin, 404)


@step("audit-hypervisors-403")
def s_audit_hypervisors_403(ctx):
    _audit(ctx, "GET", "/os-hypervisors", ctx.tokens["alice"], 403)


@step("audit-app-exception")
def s_audit_app_exception(ctx):
    _audit(ctx, "GET", "/servers/explode", ctx.admin, 500)


@step("audit-server-delete")
def s_audit_server_delete(ctx):
    _audit(ctx, "DELETE", "/servers/" + ctx.ids["server:srv"], ctx.admin, 204)


@step("audit-no-token")
def s_audit_no_token(ctx):
    _audit(ctx, "GET", "/servers", None, 401)


@step("audit-bad-token")
def s_audit_bad_token(ctx):
    _audit(ctx, "GET", "/servers", "gAAAAA-not-a-valid-token-" + ctx.run, 401)


@step("user-delete")
def s_user_delete(ctx):
    delete(ctx, "/users/" + ctx.ids["user:bob"])


@step("revoke-user-project")
def s_revoke_user_project(ctx):
    request("DELETE", _grant_path(ctx, "projects", ctx.ids["project:proj"],
                                  "users", ctx.ids["user:alice"],
                                  ctx.ids["role:member"]), ctx.admin,
            expect=204)


@step("group-delete")
def s_group_delete(ctx):
    delete(ctx, "/groups/" + ctx.ids["group:grp"])


@step("role-delete")
def s_role_delete(ctx):
    delete(ctx, "/roles/" + ctx.ids["role:role"])


@step("role-delete-domain-specific")
def s_role_delete_domain_specific(ctx):
    delete(ctx, "/roles/" + ctx.ids["role:drole"])


@step("users-delete")
def s_users_delete(ctx):
    for key in ("alice", "carol", "dave", "erin"):
        delete(ctx, "/users/" + ctx.ids["user:" + key])


@step("project-delete")
def s_project_delete(ctx):
    delete(ctx, "/projects/" + ctx.ids["project:proj"])


@step("domain-populate")
def s_domain_populate(ctx):
    dom = ctx.ids["domain:dom"]
    create(ctx, "/projects", "project", "dproj",
           {"project": {"name": ctx.n("dproj"), "domain_id": dom}})
    create(ctx, "/groups", "group", "dgrp",
           {"group": {"name": ctx.n("dgrp"), "domain_id": dom}})
    create(ctx, "/users", "user", "duser",
           {"user": {"name": ctx.n("duser"), "domain_id": dom,
                     "password": "duser-pw-1"}})


@step("domain-disable")
def s_domain_disable(ctx):
    patch(ctx, "/domains/" + ctx.ids["domain:dom"],
          {"domain": {"enabled": False}})


@step("domain-delete-cascade")
def s_domain_delete(ctx):
    delete(ctx, "/domains/" + ctx.ids["domain:dom"])


# --------------------------------------------------------- expectations
REF = re.compile(r"@([A-Za-z_]+):([A-Za-z0-9_-]+)")


def resolve(value, ctx):
    if isinstance(value, str):
        value = value.replace("{run}", ctx.run)

        def sub(m):
            ref = "%s:%s" % (m.group(1), m.group(2))
            if ref not in ctx.ids:
                raise KeyError("scenario.json refers to %s, which no step "
                               "registered" % ref)
            return ctx.ids[ref]
        return REF.sub(sub, value)
    if isinstance(value, list):
        return [resolve(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, ctx) for k, v in value.items()}
    return value


def default_exchange(event_type):
    return "keystone" if event_type.startswith("identity.") else "openstack"


def normalize(exp):
    e = dict(exp)
    e.setdefault("exchange", default_exchange(e["event_type"]))
    e.setdefault("reasonCode", None)
    return e


def compare(exp, rec):
    """Differences between one expected event and one captured record."""
    diffs = []
    for k in ("event_type", "outcome", "reasonCode", "exchange"):
        if exp.get(k) != rec.get(k):
            diffs.append("%s: expected %r, got %r" % (k, exp.get(k),
                                                      rec.get(k)))
    if diffs:
        return diffs
    p = rec["message"].get("payload") or {}
    if "initiator" in exp:
        want = exp["initiator"]
        if want is None:
            if "initiator" in p:
                diffs.append("initiator: expected none, got %r"
                             % p["initiator"])
        else:
            ini = p.get("initiator")
            if ini is None:
                diffs.append("initiator: expected %r, payload has none"
                             % (want,))
            elif isinstance(want, str):
                key = "name" if rec["event_type"].startswith("audit.") \
                    else "username"
                if ini.get(key) != want:
                    diffs.append("initiator.%s: expected %r, got %r"
                                 % (key, want, ini.get(key)))
            else:
                for k, v in want.items():
                    if ini.get(k) != v:
                        diffs.append("initiator.%s: expected %r, got %r"
                                     % (k, v, ini.get(k)))
    if "target" in exp:
        got = (p.get("target") or {}).get("id")
        if got != exp["target"]:
            diffs.append("target.id: expected %r, got %r"
                         % (exp["target"], got))
    for k, v in (exp.get("subject") or {}).items():
        if p.get(k) != v:
            diffs.append("payload.%s: expected %r, got %r" % (k, v, p.get(k)))
    for k in ("action", "requestPath"):
        if k in exp and p.get(k) != exp[k]:
            diffs.append("%s: expected %r, got %r" % (k, exp[k], p.get(k)))
    if "target_typeURI" in exp:
        got = (p.get("target") or {}).get("typeURI")
        if got != exp["target_typeURI"]:
            diffs.append("target.typeURI: expected %r, got %r"
                         % (exp["target_typeURI"], got))
    return diffs


def compare_all(expected, records):
    """Whole-run comparison, position by position."""
    mismatches = []
    for i, x in enumerate(expected):
        if i >= len(records):
            mismatches.append({"step": x["step"], "index": i, "problems": [
                "missing %s/%s" % (x["event_type"], x["outcome"])]})
            continue
        d = compare(x, records[i])
        if d:
            mismatches.append({"step": x["step"], "index": i, "problems": d,
                               "received": brief(records[i])})
    for i in range(len(expected), len(records)):
        mismatches.append({"step": None, "index": i, "problems": [
            "unexpected"], "received": brief(records[i])})
    return mismatches


def brief(rec):
    p = rec["message"].get("payload") or {}
    ini = p.get("initiator")
    who = None
    if ini:
        who = ini.get("username") or ini.get("name") or ini.get("user_name") \
            or ini.get("user_id") or ini.get("id")
    return {"event_type": rec["event_type"], "outcome": rec["outcome"],
            "reasonCode": rec["reasonCode"], "exchange": rec["exchange"],
            "initiator": who if ini else None,
            "target": (p.get("target") or {}).get("id")}


def count(events):
    counts = {}
    for e in events:
        k = "%s/%s" % (e["event_type"], e["outcome"])
        counts[k] = counts.get(k, 0) + 1
    return dict(sorted(counts.items()))


def count_reasons(events):
    counts = {}
    for e in events:
        if e.get("reasonCode") is None:
            continue
        k = "%s/%s/%s" % (e["event_type"], e["outcome"], e["reasonCode"])
        counts[k] = counts.get(k, 0) + 1
    return dict(sorted(counts.items()))


def load_plan():
    with open(SCENARIO_FILE) as f:
        plan = json.load(f)
    ids = [s["id"] for s in plan["steps"]]
    missing = [i for i in ids if i not in STEPS]
    unused = [i for i in STEPS if i not in ids]
    dup = set(i for i in ids if ids.count(i) > 1)
    if missing or unused or dup:
        raise SystemExit("scenario.json and scenario.py disagree: no code "
                         "for %s; not in scenario.json: %s; duplicated: %s"
                         % (missing, unused, sorted(dup)))
    return plan


def cmd_run(args, h):
    plan = load_plan()
    run = args.run_id or uuid.uuid4().hex[:8]
    ctx = Ctx(h, run)
    cap = None
    if args.verify_at_end:
        args.verify = True
    if args.verify:
        import capture
        cap = capture.Capture(h["transport_url"])
        cap.pump(0.3)
        if cap.records:
            log("WARNING: %d notifications arrived before the first step "
                "(ignored)" % len(cap.records))
            del cap.records[:]
    log("run id %s, %d steps%s" % (run, len(plan["steps"]),
                                    ", verifying" if cap else ""))
    t0 = time.monotonic()
    out_steps, expected, mismatches = [], [], []
    pos = 0
    for st in plan["steps"]:
        ts = time.monotonic()
        try:
            STEPS[st["id"]](ctx)
            ctx.last_step_end = time.time()
        except Exception as e:
            log("step %s FAILED: %s" % (st["id"], e))
            raise
        exp = [normalize(resolve(x, ctx)) for x in st["expect"]]
        for x in exp:
            x["step"] = st["id"]
        expected.extend(exp)
        entry = {"id": st["id"], "title": resolve(st["title"], ctx),
                 "expected": exp}
        line = "step %-34s %d event(s)" % (st["id"], len(exp))
        if cap is not None and not args.verify_at_end:
            cap.wait_for(pos + len(exp), timeout=args.timeout,
                         settle=args.settle)
            got = cap.records[pos:]
            pos = len(cap.records)
            problems = []
            for i, x in enumerate(exp):
                if i >= len(got):
                    problems.append("#%d %s/%s: missing" % (
                        i, x["event_type"], x["outcome"]))
                    continue
                d = compare(x, got[i])
                if d:
                    problems.append("#%d %s" % (i, "; ".join(d)))
            for r in got[len(exp):]:
                problems.append("unexpected %s" % json.dumps(brief(r)))
            entry["received"] = [brief(r) for r in got]
            if problems:
                mismatches.append({"step": st["id"], "problems": problems,
                                   "received": entry["received"]})
                line += "  MISMATCH: " + " | ".join(problems)
            else:
                line += "  verified"
        if not args.quiet:
            log("%s  (%.2fs)" % (line, time.monotonic() - ts))
        out_steps.append(entry)
    elapsed = time.monotonic() - t0
    if cap is not None and args.verify_at_end:
        cap.wait_for(len(expected), timeout=args.timeout, settle=args.settle)
        mismatches = compare_all(expected, cap.records)
        for m in mismatches:
            log("MISMATCH %s" % json.dumps(m))
    if cap is not None:
        if args.capture_out:
            with open(args.capture_out, "w") as f:
                for r in cap.records:
                    f.write(json.dumps(r) + "\n")
        cap.close()
    if not args.keep_default_queue:
        # oslo's own queue (what Ceilometer would read) only grows here
        import capture
        try:
            capture.main(["--url", h["transport_url"], "delete-queue",
                          "notifications.info"])
        except Exception as e:  # noqa
            log("WARNING: could not delete queue notifications.info: %s" % e)
    summary = {
        "run_id": run,
        "elapsed_seconds": round(elapsed, 2),
        "steps": out_steps,
        "expected": expected,
        "counts": count(expected),
        "counts_by_reason": count_reasons(expected),
        "total": len(expected),
        "verified": (not mismatches) if cap is not None else None,
        "mismatches": mismatches,
    }
    json.dump(summary, sys.stdout, indent=1)
    print()
    log("%d steps, %d expected events in %.1fs%s" % (
        len(out_steps), len(expected), elapsed,
        "" if cap is None else (
            ": all verified" if not mismatches else
            ": %d step(s) MISMATCH" % len(mismatches))))
    return 1 if mismatches else 0


def cmd_expected(args):
    """The plan without running anything ({run} and @refs unresolved)."""
    plan = load_plan()
    expected = []
    for st in plan["steps"]:
        for x in st["expect"]:
            x = normalize(x)
            x["step"] = st["id"]
            expected.append(x)
    json.dump({"steps": plan["steps"], "expected": expected,
               "counts": count(expected),
               "counts_by_reason": count_reasons(expected),
               "total": len(expected)},
              sys.stdout, indent=1)
    print()
    return 0


def _plain(v):
    return re.sub(r"@[A-Za-z_]+:", "", str(v)).replace("-{run}", "")


def _hint(x):
    bits = []
    ini = x.get("initiator", "?")
    if ini is None:
        bits.append("no initiator")
    elif isinstance(ini, str) and ini != "?":
        bits.append("by " + _plain(ini))
    elif isinstance(ini, dict):
        bits.append("initiator " + ", ".join(
            "%s=%s" % (k, "absent" if v is None else _plain(v))
            for k, v in ini.items()))
    if "target" in x:
        bits.append("target " + _plain(x["target"]))
    if x.get("subject"):
        bits.append(", ".join("%s %s" % (k, _plain(v)) for k, v in
                              x["subject"].items()
                              if k != "inherited_to_projects"))
    if "action" in x:
        bits.append(x["action"])
    return "; ".join(bits)


def cmd_table(args):
    """Markdown table of the steps and their expected events."""
    plan = load_plan()
    print("| # | step | what it does | expected events (event_type "
          "outcome [reasonCode]: hints) |")
    print("|---|---|---|---|")
    for i, st in enumerate(plan["steps"], 1):
        evs = []
        for x in st["expect"]:
            e = "`%s` %s" % (x["event_type"], x["outcome"])
            if x.get("reasonCode"):
                e += " **%s**" % x["reasonCode"]
            h = _hint(x)
            evs.append(e + (" (%s)" % h if h else ""))
        what = st["title"].replace("|", "\\|")
        if st.get("note"):
            what += " — " + st["note"]
        print("| %d | %s | %s | %s |" % (i, st["id"], what,
                                         "<br>".join(evs) or "*none*"))
    return 0


def main():
    ap = argparse.ArgumentParser(
        description="Keystone/keystonemiddleware CADF scenario")
    ap.add_argument("--state-dir", help="harness state dir (default: "
                    "$KS_STATE_DIR or /tmp/cadf-keystone-harness/current)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run", help="run the scenario, print the summary")
    p.add_argument("--verify", action="store_true",
                   help="capture from RabbitMQ and compare step by step")
    p.add_argument("--verify-at-end", action="store_true",
                   help="like --verify, but run the steps at full speed and "
                   "compare the whole capture once at the end")
    p.add_argument("--run-id", help="suffix for every name (default random)")
    p.add_argument("--capture-out", help="with --verify: write every "
                   "captured message (decoded) to this JSON-lines file")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--keep-default-queue", action="store_true",
                   help="do not delete oslo's queue notifications.info at "
                   "the end (it is deleted when nobody consumes it)")
    p.add_argument("--timeout", type=float, default=10.0, help="with "
                   "--verify: seconds to wait for a step's events")
    p.add_argument("--settle", type=float, default=0.2, help="with "
                   "--verify: quiet seconds that end a step (late extras)")
    sub.add_parser("setup", help="objects the harness needs (harness.sh "
                   "start runs it)")
    sub.add_parser("expected", help="print the unresolved expectations")
    sub.add_parser("table", help="markdown table of steps and events")
    args = ap.parse_args()
    if args.cmd == "expected":
        return cmd_expected(args)
    if args.cmd == "table":
        return cmd_table(args)
    h = kslib.load_harness(args.state_dir)
    if args.cmd == "setup":
        return cmd_setup(args, h)
    import capture
    try:
        return cmd_run(args, h)
    except capture.CONNECTION_ERRORS as e:
        log("ERROR: lost the broker connection of the --verify capture (%s); "
            "did something close all broker connections meanwhile?" % e)
        return 2


if __name__ == "__main__":
    sys.exit(main())
