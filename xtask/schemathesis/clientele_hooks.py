"""schemathesis hooks for `cargo xtask schemathesis`.

`clientele_positive_data_acceptance` is schemathesis's `positive_data_acceptance` with one
exception: it lets through the refusals of valid requests that the originals make
because of the data already stored or because of a rule between two parameters, which
an OpenAPI document cannot state. Each is listed, with its reason, on the dialect's page
under "OpenAPI and schemathesis".
"""

import json

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

# Error codes (WooCommerce) that depend on what is stored, not on the request's shape.
STATE_CODES = {
    # wc/v2-v3: an update or delete of an id that names no customer is a 400, not a 404.
    "woocommerce_rest_invalid_id",
    # wc/v2-v3 and wc-api/v3: an e-mail address or username already registered.
    "registration-error-email-exists",
    "registration-error-username-exists",
    # wc/v2-v3: an update to another customer's e-mail address.
    "woocommerce_rest_customer_invalid_email",
    # wc/v2-v3: an update that changes the stored username.
    "woocommerce_rest_customer_invalid_argument",
    # wc-api/v3: an edit of an id that names no customer is a 400, not a 404.
    "woocommerce_api_invalid_customer",
}

# Messages (EDD, easycart) of rules between two parameters.
DEPENDENCY_MESSAGES = (
    # EDD v2: `date=range` needs `startdate`.
    "Missing startdate!",
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
