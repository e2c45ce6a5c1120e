"""Identities: staff in a Cognito user pool whose ID tokens carry the tenant and the staff groups; customers in a
second pool, signed in by a one-time code sent to their email (no password), whose ID tokens carry the tenant and
the contact they are (rapport.portal.sign_in)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.nag import acknowledge

# rapport.auth.Role; tests/infra checks the two agree.
STAFF_GROUPS = ("admin", "manager", "sales", "support", "marketing")
TENANT_ATTRIBUTE = "tenant_id"


class Auth(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "StaffPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            custom_attributes={
                TENANT_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=False),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                password_history_size=5,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions::AwsSolutions-COG2",
            "MFA is optional by product decision (staff enroll TOTP themselves); Plus-tier threat protection "
            "scores the risk of every sign-in meanwhile.",
        )
        for group in STAFF_GROUPS:
            cognito.CfnUserPoolGroup(
                self, f"{group.capitalize()}Group", user_pool_id=self.user_pool.user_pool_id, group_name=group
            )
        self.web_client = self._web_client()
        self.customer_pool = self._customer_pool(removal_policy)
        self.portal_client = self._portal_client()

    def _web_client(self) -> cognito.UserPoolClient:
        """The browser app's public client: SRP sign-in, and it may read, never write, the tenant."""
        return self.user_pool.add_client(
            "WebClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True)
            .with_custom_attributes(TENANT_ATTRIBUTE),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True),
        )

    def _customer_pool(self, removal_policy: RemovalPolicy) -> cognito.UserPool:
        """Customers sign themselves up as `<tenant slug>/<email>` (a pre-sign-up trigger admits only a live contact's
        email) and sign in by custom authentication: a code mailed to them, no password (`sign_in_with`)."""
        pool = cognito.UserPool(
            self,
            "CustomerPool",
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(username=True),
            sign_in_case_sensitive=False,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=False)
            ),
            # Required by Cognito to sign up; the client sends a random one that nobody ever types.
            password_policy=cognito.PasswordPolicy(
                min_length=16,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
            ),
            mfa=cognito.Mfa.OFF,
            account_recovery=cognito.AccountRecovery.NONE,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
        )
        acknowledge(
            pool,
            "AwsSolutions::AwsSolutions-COG2",
            "Customers sign in by a one-time code mailed to their address (custom authentication): that code is "
            "already a factor they hold; there is no password to add a second factor to.",
        )
        acknowledge(
            pool,
            "AwsSolutions::AwsSolutions-COG8",
            "Threat protection needs the Plus plan, billed per customer (custom authentication works on any plan); "
            "customer sign-in is a code mailed to a "
            "live contact's address, three wrong answers end the attempt, and the API throttles the portal.",
        )
        return pool

    def _portal_client(self) -> cognito.UserPoolClient:
        """The portal page's public client: custom authentication (the mailed code) only."""
        return self.customer_pool.add_client(
            "PortalClient",
            auth_flows=cognito.AuthFlow(custom=True),
            generate_secret=False,
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
            read_attributes=cognito.ClientAttributes().with_standard_attributes(email=True),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True),
        )
