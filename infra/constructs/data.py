"""The single table, the idempotency table, the web form keys table, the pagination cursors' signing key, and
the customer-managed KMS key that encrypts them.

Keys and indexes mirror the PynamoDB models in `rapport.dal.models`; tests/infra checks they are equal.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge

GSI_NAMES = ("gsi1", "gsi2", "gsi3", "gsi4")
IDEMPOTENCY_TTL_ATTRIBUTE = "expires_at"
CURSOR_SECRET_LENGTH = 48

# What the data access layer (rapport.dal, the stores) calls; a transaction needs the action of each item it touches.
# Scan is left out on purpose: no request path scans.
TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
)
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# The web form keys table maps an API key id to its tenant: only the function that issues keys writes it and
# only the public web-to-lead function reads it (rapport.web_forms.store says why it is a table of its own).
WEB_FORM_KEYS_WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:DeleteItem")
WEB_FORM_KEYS_READ_ACTIONS = ("dynamodb:GetItem",)
# What DynamoDB asks KMS for on the caller's behalf when it reads and writes a table under this key;
# Secrets Manager needs kms:Decrypt for the cursor secret.
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")

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

    def grant_read_write(self, grantee: iam.IGrantable) -> None:
        """Item reads and writes on both tables, queries on the indexes, and the key that encrypts them."""
        index_arns = [f"{self.table.table_arn}/index/{name}" for name in GSI_NAMES]
        statements = [
            iam.PolicyStatement(actions=list(TABLE_ACTIONS), resources=[self.table.table_arn]),
            iam.PolicyStatement(actions=["dynamodb:Query"], resources=index_arns),
            iam.PolicyStatement(actions=list(IDEMPOTENCY_ACTIONS), resources=[self.idempotency_table.table_arn]),
            iam.PolicyStatement(actions=list(KEY_ACTIONS), resources=[self.key.key_arn]),
        ]
        for statement in statements:
            grantee.grant_principal.add_to_principal_policy(statement)

    def grant_erasures_read(self, grantee: iam.IGrantable) -> None:
        """Reading who erased a record (its tombstone in the idempotency table): the outbox publisher's."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[self.idempotency_table.table_arn])
        )

    def grant_web_form_keys(self, grantee: iam.IGrantable, *, write: bool) -> None:
        """Reading (the public web-to-lead function) or writing (the web forms function) the keys table; the
        KMS key comes with `grant_read_write`, which every function has."""
        actions = WEB_FORM_KEYS_WRITE_ACTIONS if write else WEB_FORM_KEYS_READ_ACTIONS
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=list(actions), resources=[self.web_form_keys_table.table_arn])
        )
