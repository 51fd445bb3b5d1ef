"""Small HTTP helpers for talking to the harness Keystone and compute API.

Plain urllib, no retries, no re-authentication: every request made here
is exactly one HTTP request, so the notifications it causes are countable.
"""
import json
import os
import urllib.error
import urllib.request

USER_AGENT = "cadf-harness-scenario/1.0"
DEFAULT_ROOT = os.environ.get("KS_HARNESS_ROOT", "/tmp/cadf-keystone-harness")


class HTTPFailure(Exception):
    def __init__(self, method, url, status, body):
        Exception.__init__(self, "%s %s -> %s: %s" % (method, url, status,
                                                      body[:300]))
        self.status = status
        self.body = body


def load_harness(state_dir=None):
    if not state_dir:
        state_dir = os.environ.get("KS_STATE_DIR")
    if not state_dir:
        cur = os.path.join(DEFAULT_ROOT, "current")
        if not os.path.exists(cur):
            raise SystemExit("no harness running (%s missing): "
                             "run harness.sh start" % cur)
        state_dir = open(cur).read().strip()
    with open(os.path.join(state_dir, "harness.json")) as f:
        return json.load(f)


def request(method, url, token=None, body=None, headers=None, expect=None):
    """One HTTP request. Returns (status, headers, parsed-or-raw body).

    expect: an int or a tuple of ints; any other status raises HTTPFailure.
    """
    data = None
    hdrs = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    if token:
        hdrs["X-Auth-Token"] = token
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, rh, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, rh, raw = e.code, e.headers, e.read()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode("utf-8", "replace")
    if expect is not None:
        allowed = (expect,) if isinstance(expect, int) else tuple(expect)
        if status not in allowed:
            raise HTTPFailure(method, url, status, str(parsed))
    return status, rh, parsed


def password_auth_body(user=None, password=None, user_id=None,
                       domain="default", project=None,
                       project_domain="default", domain_scope=None):
    if user_id:
        u = {"id": user_id, "password": password}
    else:
        u = {"name": user, "password": password, "domain": {"id": domain}}
    ident = {"methods": ["password"], "password": {"user": u}}
    auth = {"identity": ident}
    if project:
        auth["scope"] = {"project": {"name": project,
                                     "domain": {"id": project_domain}}}
    elif domain_scope:
        auth["scope"] = {"domain": {"id": domain_scope}}
    return {"auth": auth}


def login(ks_url, expect=201, **kw):
    """Password login. Returns (status, token or None, token body)."""
    status, h, body = request("POST", ks_url + "/auth/tokens",
                              body=password_auth_body(**kw), expect=expect)
    return status, h.get("X-Subject-Token"), body
