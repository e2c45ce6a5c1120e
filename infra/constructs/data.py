"""The single table, the idempotency table, the web form keys table, the tenant slugs table, the pagination
cursors' signing key, and the customer-managed KMS key that encrypts them (and the buckets, `private_bucket`).

Keys and indexes mirror the PynamoDB models in `rapport.dal.models`; tests/infra checks they are equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge
from infra.table_access import GSI_NAMES, key_statement

IDEMPOTENCY_TTL_ATTRIBUTE = "expires_at"
# A tenant's field history retention (rapport.field_history) expires its changes by TTL.
TABLE_TTL_ATTRIBUTE = "expires_at"
CURSOR_SECRET_LENGTH = 48

# Who reads and writes the single table and the idempotency table, and how, each function declares
# (infra/constructs/tenancy.py). The web form keys table maps an API key id to its tenant: only the function that
# issues keys writes it and only the public web-to-lead function reads it (rapport.web_forms.store says why it is a
# table of its own). The tenant slugs table likewise: the tenants function claims and releases slugs, the public
# functions resolve them (rapport.tenants.store).
LOOKUP_WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:DeleteItem")
LOOKUP_READ_ACTIONS = ("dynamodb:GetItem",)

TENANT_SLUGS_TABLE_VARIABLE = "TENANT_SLUGS_TABLE_NAME"  # rapport.dal.models.TenantSlugItem

_STRING = dynamodb.AttributeType.STRING


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Encrypts {Stack.of(self).stack_name}'s data at rest",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.table = self._table(
            "Table",
            removal_policy,
            partition_key=dynamodb.Attribute(name="pk", type=_STRING),
            sort_key=dynamodb.Attribute(name="sk", type=_STRING),
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            time_to_live_attribute=TABLE_TTL_ATTRIBUTE,
        )
        for name in GSI_NAMES:
            self.table.add_global_secondary_index(
                index_name=name,
                partition_key=dynamodb.Attribute(name=f"{name}pk", type=_STRING),
                sort_key=dynamodb.Attribute(name=f"{name}sk", type=_STRING),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        self.idempotency_table = self._table(
            "IdempotencyTable",
            removal_policy,
            partition_key=dynamodb.Attribute(name="pk", type=_STRING),
            time_to_live_attribute=IDEMPOTENCY_TTL_ATTRIBUTE,
        )
        self.web_form_keys_table = self._table(
            "WebFormKeysTable", removal_policy, partition_key=dynamodb.Attribute(name="pk", type=_STRING)
        )
        self.tenant_slugs_table = self._table(
            "TenantSlugsTable", removal_policy, partition_key=dynamodb.Attribute(name="pk", type=_STRING)
        )
        self.cursor_secret = secretsmanager.Secret(
            self,
            "CursorSecret",
            description="The secret pagination cursors are encrypted with, through HKDF (rapport.pagination)",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=CURSOR_SECRET_LENGTH, exclude_punctuation=True
            ),
            removal_policy=removal_policy,
        )
        acknowledge(
            self.cursor_secret,
            "AwsSolutions::AwsSolutions-SMG4",
            "The cursor secret never leaves the functions, and a scheduled rotation would break every "
            "pagination cursor in flight. Replace it on suspicion with put-secret-value: the functions "
            "reload it within 5 minutes.",
        )

    def _table(self, construct_id: str, removal_policy: RemovalPolicy, **keys: Any) -> dynamodb.Table:
        """An on-demand table encrypted with the key, with PITR, protected from deletion where data is kept."""
        return dynamodb.Table(
            self,
            construct_id,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
            **keys,
        )

    def private_bucket(
        self,
        scope: Construct,
        removal_policy: RemovalPolicy,
        lifecycle_rules: Sequence[s3.LifecycleRule],
        *,
        unlogged_because: str,
    ) -> s3.Bucket:
        """A bucket `Bucket` in `scope`, encrypted with the stack's key, never public, TLS only, its unfinished
        uploads forgotten after a day besides `lifecycle_rules`; `unlogged_because` says why its requests are not
        logged to a second bucket (cdk-nag's S1)."""
        bucket = s3.Bucket(
            scope,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=False,
            removal_policy=removal_policy,
            auto_delete_objects=False,
            lifecycle_rules=[
                *lifecycle_rules,
                s3.LifecycleRule(id="Uploads", abort_incomplete_multipart_upload_after=Duration.days(1)),
            ],
        )
        acknowledge(bucket, "AwsSolutions::AwsSolutions-S1", unlogged_because)
        return bucket

    def grant_key(self, grantee: iam.IGrantable) -> None:
        """What DynamoDB asks of the key that encrypts a table, on the behalf of whoever reads or writes it."""
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement.from_json(key_statement(self.key.key_arn)))

    def grant_web_form_keys(self, grantee: iam.IGrantable, *, write: bool) -> None:
        """Reading (the public web-to-lead function) or writing (the web forms function) the keys table, under the
        function's own role: the key of a public request is looked up before its tenant is known."""
        self._grant_lookup(self.web_form_keys_table, grantee, write=write)

    def use_tenant_slugs(self, function: lambda_.Function, *, write: bool) -> None:
        """Resolving slugs (the public functions) or claiming and releasing them (the tenants function), under the
        function's own role: a slug is unique across tenants, and a public request names no tenant."""
        function.add_environment(TENANT_SLUGS_TABLE_VARIABLE, self.tenant_slugs_table.table_name)
        self._grant_lookup(self.tenant_slugs_table, function, write=write)

    def _grant_lookup(self, table: dynamodb.Table, grantee: iam.IGrantable, *, write: bool) -> None:
        actions = LOOKUP_WRITE_ACTIONS if write else LOOKUP_READ_ACTIONS
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=list(actions), resources=[table.table_arn])
        )
        self.grant_key(grantee)
