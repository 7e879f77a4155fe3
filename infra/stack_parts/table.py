"""The records table: its keys and indexes are the storage layout's (chalicelib/storage/layout.py)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from stages import Stage

from chalicelib.storage.layout import TABLE_KEY_SCHEMA, TTL_ATTRIBUTE
from stack_parts import data_removal

ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER, "B": dynamodb.AttributeType.BINARY}


class RecordsTable:
    """pk/sk and every global secondary index of TABLE_KEY_SCHEMA, on demand."""

    def __init__(self, stack: cdk.Stack, *, stage: Stage) -> None:
        assert TABLE_KEY_SCHEMA["BillingMode"] == "PAY_PER_REQUEST"
        self.table = dynamodb.Table(
            stack,
            "Records",
            **_keys(TABLE_KEY_SCHEMA["KeySchema"]),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True),
            deletion_protection=stage.retain_data,
            removal_policy=data_removal(stage),
            # adding a TTL updates the table in place (no replacement: its logical id and data stay)
            time_to_live_attribute=TTL_ATTRIBUTE,
        )
        for index in TABLE_KEY_SCHEMA.get("GlobalSecondaryIndexes", []):
            self.table.add_global_secondary_index(
                index_name=index["IndexName"],
                **_keys(index["KeySchema"]),
                projection_type=dynamodb.ProjectionType(index["Projection"]["ProjectionType"]),
                non_key_attributes=index["Projection"].get("NonKeyAttributes"),
            )

    def grant_records(self, role: iam.IRole) -> None:
        """What the record store calls, on the table and its indexes."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="Records",
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:BatchGetItem",
                    "dynamodb:Query",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem",
                ],
                resources=[self.table.table_arn, f"{self.table.table_arn}/index/*"],
            )
        )


def _keys(schema: list[dict[str, str]]) -> dict[str, dynamodb.Attribute]:
    """A DynamoDB key schema as the CDK's partition_key/sort_key arguments."""
    types = {d["AttributeName"]: ATTRIBUTE_TYPES[d["AttributeType"]] for d in TABLE_KEY_SCHEMA["AttributeDefinitions"]}
    found = {}
    for key in schema:
        attribute = dynamodb.Attribute(name=key["AttributeName"], type=types[key["AttributeName"]])
        found["partition_key" if key["KeyType"] == "HASH" else "sort_key"] = attribute
    return found
