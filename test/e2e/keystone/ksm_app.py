"""A trivial compute-like WSGI app behind real auth_token + audit filters.

uwsgi loads this file (wsgi-file); it reads the oslo.config file named by
$KSM_CONFIG_FILE ([keystone_authtoken], [audit_middleware_notifications]) and
builds the paste pipeline in $KSM_PASTE_INI (ksm-paste.ini), whose last element
is app_factory below.

Routes (everything else: 404):
  GET    /v2.1, /v2.1/                      200 version document
  GET    /v2.1/servers, /v2.1/servers/detail 200 list
  POST   /v2.1/servers                      202 create (body {"server": {"name": ...}})
  GET    /v2.1/servers/<id>                 200, or 404 for an unknown id
  PUT    /v2.1/servers/<id>                 200 / 404
  DELETE /v2.1/servers/<id>                 204 / 404
  POST   /v2.1/servers/<id>/action          202 / 404
  *      /v2.1/servers/explode[...]         raises RuntimeError (client gets 500,
                                            audit outcome "unknown")
  *      /v2.1/os-hypervisors[...]          403
"""
import json
import os
import uuid

SERVERS = {}


def _reply(start_response, status, body=None):
    headers = [("Content-Type", "application/json")]
    data = b"" if body is None else json.dumps(body).encode()
    headers.append(("Content-Length", str(len(data))))
    start_response(status, headers)
    return [data]


def compute_app(environ, start_response):
    method = environ["REQUEST_METHOD"]
    parts = [p for p in environ.get("PATH_INFO", "").split("/") if p]
    if not parts or parts[0] != "v2.1":
        return _reply(start_response, "404 Not Found",
                      {"itemNotFound": {"code": 404, "message": "no route"}})
    rest = parts[1:]
    if not rest:
        return _reply(start_response, "200 OK",
                      {"version": {"id": "v2.1", "status": "CURRENT"}})
    if rest[0] == "os-hypervisors":
        return _reply(start_response, "403 Forbidden",
                      {"forbidden": {"code": 403, "message":
                                     "Policy doesn't allow "
                                     "os_compute_api:os-hypervisors:list"}})
    if rest[0] != "servers":
        return _reply(start_response, "404 Not Found",
                      {"itemNotFound": {"code": 404, "message": "no route"}})
    if len(rest) > 1 and rest[1] == "explode":
        raise RuntimeError("fake compute app exploded on purpose")
    if len(rest) == 1 or rest[1:] == ["detail"]:
        if method == "GET":
            return _reply(start_response, "200 OK",
                          {"servers": [{"id": k, "name": v["name"]}
                                       for k, v in sorted(SERVERS.items())]})
        if method == "POST" and len(rest) == 1:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                name = body["server"]["name"]
            except Exception:
                return _reply(start_response, "400 Bad Request",
                              {"badRequest": {"code": 400,
                                              "message": "bad body"}})
            sid = str(uuid.uuid4())
            SERVERS[sid] = {"name": name}
            return _reply(start_response, "202 Accepted",
                          {"server": {"id": sid, "name": name}})
        return _reply(start_response, "405 Method Not Allowed", None)
    sid = rest[1]
    if sid not in SERVERS:
        return _reply(start_response, "404 Not Found",
                      {"itemNotFound": {"code": 404, "message":
                                        "Instance %s could not be found."
                                        % sid}})
    if len(rest) == 2:
        if method == "GET":
            return _reply(start_response, "200 OK",
                          {"server": dict(SERVERS[sid], id=sid)})
        if method == "PUT":
            return _reply(start_response, "200 OK",
                          {"server": dict(SERVERS[sid], id=sid)})
        if method == "DELETE":
            del SERVERS[sid]
            return _reply(start_response, "204 No Content", None)
    if rest[2:] == ["action"] and method == "POST":
        return _reply(start_response, "202 Accepted", None)
    return _reply(start_response, "404 Not Found",
                  {"itemNotFound": {"code": 404, "message": "no route"}})


def app_factory(global_conf, **local_conf):
    return compute_app


def faultwrap_factory(global_conf, **local_conf):
    """Like nova's FaultWrapper: an exception from below becomes a 500."""
    def _filter(app):
        def faultwrap(environ, start_response):
            try:
                return app(environ, start_response)
            except Exception as e:
                return _reply(start_response, "500 Internal Server Error",
                              {"computeFault": {"code": 500,
                                                "message": str(e)}})
        return faultwrap
    return _filter


def _load():
    from oslo_config import cfg
    from oslo_log import log as logging
    from paste import deploy

    logging.register_options(cfg.CONF)
    cfg.CONF(args=[], project="cadf-harness-compute",
             default_config_files=[os.environ["KSM_CONFIG_FILE"]])
    logging.setup(cfg.CONF, "cadf-harness-compute")
    return deploy.loadapp("config:" + os.environ["KSM_PASTE_INI"],
                          name="main")


# uwsgi imports this file under a generated module name; paste.deploy
# imports it again as "ksm_app" (for app_factory) and must not recurse.
if __name__ != "ksm_app":
    application = _load()
