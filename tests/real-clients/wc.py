"""Drives the PyPI `woocommerce` client (3.0.0), unmodified, against a clientele server.

usage: python3 wc.py CONFIG_JSON

CONFIG_JSON names the mode ("auth" against an authentication probe, "flow" against the
real server), the http and https base URLs, the keys, and the seeded customer. Prints
one JSON list of steps on stdout: {"name", "status", "headers", "body"} each (or
{"name", "error"} when no HTTP response came back). The Rust test asserts on them.
"""

import json
import sys
import warnings

from woocommerce import API

# The https server uses a self-signed certificate on purpose.
warnings.filterwarnings("ignore")

KEPT_HEADERS = {
    "x-wp-total",
    "x-wp-totalpages",
    "x-wc-total",
    "x-wc-totalpages",
    "link",
    "location",
    "www-authenticate",
}

CONFIG = json.loads(sys.argv[1])
STEPS = []


def call(name, send):
    try:
        response = send()
    except Exception as error:  # a transport failure is a result too
        STEPS.append({"name": name, "error": repr(error)})
        return None
    try:
        body = response.json()
    except ValueError:
        body = response.text
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
    STEPS.append({"name": name, "status": response.status_code, "headers": headers, "body": body})
    return body


def client(base, version, legacy=False, key="rw", secret=None, query_auth=False):
    consumer_key = CONFIG["keys"][key]["ck"]
    consumer_secret = secret or CONFIG["keys"][key]["cs"]
    return API(
        url=base,
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        version=version,
        wp_api=not legacy,
        verify_ssl=False,
        query_string_auth=query_auth,
        timeout=30,
    )


def transports():
    yield "http", CONFIG["http"], False
    yield "https", CONFIG["https"], False
    yield "https-qs", CONFIG["https"], True


def auth_mode():
    for name, base, query_auth in transports():
        rest = client(base, "wc/v3", query_auth=query_auth)
        bad = client(base, "wc/v3", secret="cs_" + "9" * 40, query_auth=query_auth)
        read_only = client(base, "wc/v3", key="read", query_auth=query_auth)
        call(f"{name}:rest:good", lambda: rest.get("customers", params={"per_page": 5, "search": "john doe"}))
        call(f"{name}:rest:write", lambda: rest.delete("customers/1", params={"force": True}))
        call(f"{name}:rest:bad-secret", lambda: bad.get("customers"))
        call(f"{name}:rest:read-key-write", lambda: read_only.post("customers", {"email": "x@example.com"}))
        call(f"{name}:rest:slash", lambda: rest.get("customers", params={"search": "a/b@c~d"}))
        legacy = client(base, "v3", legacy=True, query_auth=query_auth)
        legacy_bad = client(base, "v3", legacy=True, secret="cs_" + "9" * 40, query_auth=query_auth)
        call(f"{name}:legacy:good", lambda: legacy.get("customers", params={"filter[q]": "*john*", "filter[limit]": 5, "page": 1}))
        call(f"{name}:legacy:bad-secret", lambda: legacy_bad.get("customers"))


def rest_flow(prefix, api, tag, seed_id):
    ann = f"ann.{tag}@example.com"
    created = call(f"{prefix}:create", lambda: api.post("customers", {
        "email": ann,
        "first_name": "Ann",
        "last_name": "Lee",
        "username": f"ann.{tag}",
        "billing": {"first_name": "Ann", "city": "São Paulo", "email": ann},
    })) or {}
    ann_id = created.get("id", 0)
    call(f"{prefix}:get", lambda: api.get(f"customers/{ann_id}"))
    batch = call(f"{prefix}:batch", lambda: api.post("customers/batch", {
        "create": [
            {"email": f"bea.{tag}@example.com", "username": f"bea.{tag}"},
            {"email": f"cal.{tag}@example.com", "username": f"cal.{tag}"},
        ],
        "update": [{"id": ann_id, "last_name": "Lee-Smith"}],
    })) or {}
    others = [item.get("id", 0) for item in batch.get("create", [])] if isinstance(batch, dict) else []
    for page in (1, 2):
        call(f"{prefix}:list{page}", lambda: api.get("customers", params={
            "search": tag, "per_page": 2, "page": page, "orderby": "id", "order": "asc",
        }))
    call(f"{prefix}:update", lambda: api.put(f"customers/{ann_id}", {"first_name": "Anna"}))
    call(f"{prefix}:seed", lambda: api.get(f"customers/{seed_id}"))
    call(f"{prefix}:downloads", lambda: api.get(f"customers/{seed_id}/downloads"))
    call(f"{prefix}:delete", lambda: api.delete(f"customers/{ann_id}", params={"force": True}))
    call(f"{prefix}:batch-delete", lambda: api.post("customers/batch", {"delete": others}))
    call(f"{prefix}:gone", lambda: api.get(f"customers/{ann_id}"))


def legacy_flow(prefix, api, tag, seed_id):
    ann = f"ann.{tag}@example.com"
    created = call(f"{prefix}:create", lambda: api.post("customers", {"customer": {
        "email": ann,
        "first_name": "Ann",
        "last_name": "Lee",
        "username": f"ann.{tag}",
        "billing_address": {"first_name": "Ann", "city": "São Paulo"},
    }})) or {}
    ann_id = (created.get("customer") or {}).get("id", 0) if isinstance(created, dict) else 0
    call(f"{prefix}:get", lambda: api.get(f"customers/{ann_id}"))
    call(f"{prefix}:by-email", lambda: api.get(f"customers/email/{ann}"))
    bulk = call(f"{prefix}:bulk", lambda: api.post("customers/bulk", {"customers": [
        {"email": f"bea.{tag}@example.com", "username": f"bea.{tag}"},
        {"email": f"cal.{tag}@example.com", "username": f"cal.{tag}"},
        {"id": ann_id, "last_name": "Lee-Smith"},
    ]})) or {}
    others = [c.get("id", 0) for c in (bulk.get("customers") or [])[:2]] if isinstance(bulk, dict) else []
    search = {"filter[q]": f"*{tag}*"}
    call(f"{prefix}:count", lambda: api.get("customers/count", params=search))
    for page in (1, 2):
        call(f"{prefix}:list{page}", lambda: api.get("customers", params={
            **search, "filter[limit]": 2, "filter[orderby]": "id", "filter[order]": "asc", "page": page,
        }))
    call(f"{prefix}:update", lambda: api.put(f"customers/{ann_id}", {"customer": {"first_name": "Anna"}}))
    call(f"{prefix}:orders", lambda: api.get(f"customers/{seed_id}/orders"))
    call(f"{prefix}:downloads", lambda: api.get(f"customers/{seed_id}/downloads"))
    call(f"{prefix}:delete", lambda: api.delete(f"customers/{ann_id}"))
    for other in others:
        call(f"{prefix}:delete-other", lambda: api.delete(f"customers/{other}"))
    call(f"{prefix}:gone", lambda: api.get(f"customers/{ann_id}"))


def flow_mode():
    seed_id = CONFIG["seed_id"]
    for name, base, _ in list(transports())[:2]:
        for version in ("wc/v3", "wc/v2"):
            tag = f"py-{name}-{version.replace('/', '')}"
            rest_flow(f"{name}:{version}", client(base, version), tag, seed_id)
        legacy_flow(f"{name}:legacy", client(base, "v3", legacy=True), f"py-{name}-legacy", seed_id)


if CONFIG["mode"] == "auth":
    auth_mode()
else:
    flow_mode()
print(json.dumps(STEPS, ensure_ascii=False))
