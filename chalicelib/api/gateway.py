"""API Gateway's side of sign-in: in AWS (VETRINA_AUTH=cognito when packaged) API Gateway verifies
the Cognito ID token before the function runs; locally there is no authorizer and
chalicelib.core.auth verifies the local key's tokens itself.

Read from the environment when the routes are registered (chalicelib.api.http.Resource): Chalice
reads the authorizer when it packages the API, and the infrastructure puts the real pool's ARN in
the deployed API (infra/).
"""

from __future__ import annotations

from collections.abc import Mapping

from chalice import CognitoUserPoolAuthorizer

from chalicelib.core.settings import auth_mode

PLACEHOLDER_POOL_ARN = "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/eu-west-1_placeholder"


def cognito_authorizer(env: Mapping[str, str]) -> CognitoUserPoolAuthorizer | None:
    if auth_mode(env) != "cognito":
        return None
    return CognitoUserPoolAuthorizer("vetrina-users", provider_arns=[env.get("VETRINA_USER_POOL_ARN", PLACEHOLDER_POOL_ARN)])
