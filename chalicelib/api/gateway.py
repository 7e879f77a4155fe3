"""API Gateway's side of the API: sign-in, and the answer to a path the API does not have.

Sign-in: in AWS (VETRINA_AUTH=cognito when packaged) API Gateway verifies the Cognito ID token
before the function runs; locally there is no authorizer and chalicelib.core.auth verifies the
local key's tokens itself.

Read from the environment when the routes are registered (chalicelib.api.http.Resource): Chalice
reads the authorizer when it packages the API, and the infrastructure puts the real pool's ARN in
the deployed API (infra/).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from chalice import CognitoUserPoolAuthorizer

from chalicelib.core.settings import auth_mode

PLACEHOLDER_POOL_ARN = "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/eu-west-1_placeholder"


def cognito_authorizer(env: Mapping[str, str]) -> CognitoUserPoolAuthorizer | None:
    if auth_mode(env) != "cognito":
        return None
    return CognitoUserPoolAuthorizer("vetrina-users", provider_arns=[env.get("VETRINA_USER_POOL_ARN", PLACEHOLDER_POOL_ARN)])


# A path the API does not have. API Gateway answers it itself, before any function runs, with
# 403 {"message": "Missing Authentication Token"}; its gateway response of that type answers
# instead a 404 in the API's error format (infra/chalice_api.py puts it in the REST API's
# definition; chalicelib.local.server answers the same locally). Chalice 1.34 has no catch-all
# route: a greedy {proxy+} path is neither matched by its local server nor handed to the view.
# The same response also answers a method a path does not have (API Gateway does not tell the
# two apart); Chalice answers 405 for those locally.
NOT_FOUND_CODE = "not_found"


def not_found_message(method: str, path: str) -> str:
    return f"there is no {method} {path} in this API: its routes are listed at /openapi.json"


def not_found_gateway_responses() -> dict[str, dict[str, object]]:
    """The ``x-amazon-apigateway-gateway-responses`` of the REST API's definition."""
    message = not_found_message("$context.httpMethod", "$context.path")
    template = json.dumps({"error": {"code": NOT_FOUND_CODE, "message": message}})
    return {
        "MISSING_AUTHENTICATION_TOKEN": {
            "statusCode": 404,
            "responseParameters": {"gatewayresponse.header.Content-Type": "'application/json'"},
            "responseTemplates": {"application/json": template},
        }
    }
