"""schemathesis hooks for `cargo xtask schemathesis`.

`clientele_negative_data_rejection` is schemathesis's `negative_data_rejection`, except
for a query parameter sent as an object or a list: its serialisation (repeated keys, of
which PHP keeps the last value; an empty object as `number=`) reaches the server as one
plain value, which may be valid.

`clientele_positive_data_acceptance` is schemathesis's `positive_data_acceptance` with one
exception: it lets through the refusals of valid requests that the originals make
because of the data already stored, because of a rule between two parameters, or by a
rule of WordPress's that no JSON Schema can state; an OpenAPI document cannot say any of
these. Each is listed, with its reason, on the dialect's page
under "OpenAPI and schemathesis".
"""

import json
from urllib.parse import parse_qsl, urlsplit

import schemathesis
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

# Error codes (WooCommerce) that depend on what is stored, not on the request's shape.
STATE_CODES = {
    # wc/v2-v3: an update or delete of an id that names no customer is a 400, not a 404.
    "woocommerce_rest_invalid_id",
    # wc/v2-v3: an update of an id that names no webhook is a 400 as well.
    "woocommerce_rest_shop_webhook_invalid_id",
    # wc/v2-v3 and wc-api/v3: an e-mail address or username already registered.
    "registration-error-email-exists",
    "registration-error-username-exists",
    # wc/v2-v3: an update to another customer's e-mail address.
    "woocommerce_rest_customer_invalid_email",
    # wc/v2-v3: a delete whose `reassign` names no user (or the customer itself).
    "woocommerce_rest_customer_invalid_reassign",
    # wc/v2-v3: an update that changes the stored username.
    "woocommerce_rest_customer_invalid_argument",
    # wc-api/v3: an edit of an id that names no customer is a 400, not a 404.
    "woocommerce_api_invalid_customer",
    # Not stored data, but WordPress's username rule: `validate_username` compares the
    # name with `sanitize_user`'s result, which first drops accents, tags, entities and
    # `%XX` octets, so the valid names are no regular language a `pattern` could give.
    "registration-error-invalid-username",
}

# Messages (EDD, easycart) of rules between two parameters.
DEPENDENCY_MESSAGES = (
    # EDD v2: `date=range` needs `startdate`, and reads `startdate` and `enddate` only then.
    "Missing startdate!",
    "Invalid startdate!",
    "Invalid enddate!",
    # easycart: `created_from` after `created_to`.
    "must not be after the created_to date",
)


def _tolerated(response) -> bool:
    if response.status_code != 400:
        return False
    text = response.text or ""
    if any(message in text for message in DEPENDENCY_MESSAGES):
        return True
    try:
        body = json.loads(text)
    except ValueError:
        return False
    codes = set()
    if isinstance(body, dict):
        codes.add(body.get("code"))
        for error in body.get("errors") or []:
            if isinstance(error, dict):
                codes.add(error.get("code"))
    return bool(codes & STATE_CODES)


@schemathesis.check
def clientele_positive_data_acceptance(ctx, response, case):
    if _tolerated(response):
        return None
    return positive_data_acceptance(ctx, response, case)


def _repeats_a_query_key(response) -> bool:
    request = getattr(response, "request", None)
    url = getattr(request, "url", None) or ""
    names = [name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
    return len(names) != len(set(names))


def _structured_query_value(case) -> bool:
    return any(isinstance(value, (dict, list)) for value in (case.query or {}).values())


@schemathesis.check
def clientele_negative_data_rejection(ctx, response, case):
    if _repeats_a_query_key(response) or _structured_query_value(case):
        return None
    return negative_data_rejection(ctx, response, case)
