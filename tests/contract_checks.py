"""The schemathesis checks every OpenAPI contract test runs: all of them (``--checks all``),
with schema-valid data held to one reading: the server may refuse it for a rule of state (a
question not in the attempt, a closed session), never as malformed."""

from __future__ import annotations

import schemathesis
import schemathesis.specs.openapi.checks as openapi_checks
from schemathesis.checks import CHECKS

# Refusals that say the request itself is malformed: what the document must have said.
MALFORMED = {"validation_error", "invalid_json", "unsupported_media_type", "bad_request"}


def _error_code(response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


@schemathesis.check
def schema_valid_data_accepted(ctx, response, case) -> bool | None:
    """positive_data_acceptance, except for 4xx answers that name a rule of state."""
    if 400 <= response.status_code < 500 and _error_code(response) not in MALFORMED:
        return None
    return openapi_checks.positive_data_acceptance(ctx, response, case)


ALL_CHECKS = [
    check for check in CHECKS.get_all() if check is not openapi_checks.positive_data_acceptance
]
