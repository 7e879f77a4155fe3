"""The users: Cognito user pool, its groups, the hosted sign-in's domain and the pages' app client."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from stages import Stage

from stack_parts import data_removal

GROUPS = {
    "store": "Store staff: submissions and results of the stores in custom:stores",
    "merchandiser": "Visual merchandisers: review the submissions of the regions in custom:regions",
    "hq": "Headquarters: campaigns, guidelines, analytics, exports; everything",
}


class Users:
    def __init__(self, stack: cdk.Stack, *, stage: Stage) -> None:
        self.pool = cognito.UserPool(
            stack,
            "Users",
            user_pool_name=f"{stack.stack_name}-users",
            self_sign_up_enabled=False,  # HQ creates the accounts (infra/README.md)
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(email=cognito.StandardAttribute(required=True, mutable=True)),
            custom_attributes={
                # comma-separated ids: the stores a store account acts for, the regions a merchandiser reviews
                "stores": cognito.StringAttribute(min_len=0, max_len=2048, mutable=True),
                "regions": cognito.StringAttribute(min_len=0, max_len=2048, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=False
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=stage.retain_data,
            removal_policy=data_removal(stage),
        )
        for group, description in GROUPS.items():
            cognito.CfnUserPoolGroup(
                stack,
                f"Group{group.capitalize()}",
                user_pool_id=self.pool.user_pool_id,
                group_name=group,
                description=description,
            )
        # Cognito's hosted sign-in, at https://vetrina-<stage>-<account>.auth.<region>.amazoncognito.com
        self.sign_in = self.pool.add_domain(
            "SignIn", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=f"{stack.stack_name}-{cdk.Aws.ACCOUNT_ID}")
        )
        # The pages' client: public (no secret). It may read the scope attributes (they reach the ID
        # token) but not write them: a user changing its own custom:stores would widen its own scope.
        # The pages take the ID token from the hosted sign-in's redirect (the implicit grant, which
        # session.js reads); the callback URLs, the pages' own, are set by return_to once the API exists.
        self.pages_client = self.pool.add_client(
            "Pages",
            user_pool_client_name=f"{stack.stack_name}-pages",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.days(30),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes("stores", "regions"),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(implicit_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
        )

    def return_to(self, pages: list[str]) -> None:
        """The hosted sign-in (and sign-out) returns to the page it was opened from (#id_token=…, read
        by session.js). Set once the API exists: the pages' URLs name the REST API, whose function's
        environment names this client."""
        client = self.pages_client.node.default_child
        client.add_property_override("CallbackURLs", pages)
        client.add_property_override("LogoutURLs", pages)
