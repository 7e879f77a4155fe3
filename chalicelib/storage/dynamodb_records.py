"""Record store adapter on a DynamoDB table (pk, sk) with the global secondary index ``gsi1``."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase
from botocore.exceptions import ClientError

from chalicelib.storage.ports import Cond, ConditionFailed, Page

TABLE_KEY_SCHEMA = {
    "AttributeDefinitions": [
        {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk", "gsi1sk")
    ],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "gsi1",
            "KeySchema": [
                {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


def _to_dynamo(value: Any) -> Any:
    """DynamoDB takes Decimal, not float."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def _condition(cond: Cond) -> ConditionBase:
    if cond.op == "and":
        first, *rest = (_condition(p) for p in cond.parts)
        for part in rest:
            first = first & part
        return first
    if cond.op == "or":
        first, *rest = (_condition(p) for p in cond.parts)
        for part in rest:
            first = first | part
        return first
    attr = Attr(cond.field)
    if cond.op == "eq":
        return attr.eq(_to_dynamo(cond.value))
    if cond.op == "in":
        return attr.is_in([_to_dynamo(v) for v in cond.value])
    if cond.op == "lt":
        return attr.lt(_to_dynamo(cond.value))
    if cond.op == "exists":
        return attr.exists()
    if cond.op == "absent":
        return attr.not_exists()
    raise ValueError(f"unknown condition {cond.op!r}")


class DynamoRecordStore:
    def __init__(self, table: Any):
        self._table = table  # a boto3 Table resource

    @classmethod
    def create_table(cls, dynamodb_resource: Any, name: str) -> "DynamoRecordStore":
        """Create the table (for the emulator in tests; in AWS the infrastructure creates it)."""
        table = dynamodb_resource.create_table(TableName=name, **TABLE_KEY_SCHEMA)
        table.wait_until_exists()
        return cls(table)

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
        return _from_dynamo(item) if item else None

    def put(self, item: dict[str, Any], *, condition: Cond | None = None) -> None:
        kwargs: dict[str, Any] = {"Item": _to_dynamo(item)}
        if condition is not None:
            kwargs["ConditionExpression"] = _condition(condition)
        try:
            self._table.put_item(**kwargs)
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConditionFailed(f"{item['pk']}/{item['sk']}") from None
            raise

    def update(
        self,
        pk: str,
        sk: str,
        *,
        set: dict[str, Any] | None = None,
        add: dict[str, int | float] | None = None,
        remove: tuple[str, ...] = (),
        condition: Cond | None = None,
    ) -> dict[str, Any]:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        clauses: list[str] = []

        def placeholder(field: str) -> str:
            alias = f"#a{len(names)}"
            names[alias] = field
            return alias

        sets = [f"{placeholder(k)} = :s{i}" for i, k in enumerate(set or {})]
        values.update({f":s{i}": _to_dynamo(v) for i, v in enumerate((set or {}).values())})
        adds = [f"{placeholder(k)} :d{i}" for i, k in enumerate(add or {})]
        values.update({f":d{i}": _to_dynamo(v) for i, v in enumerate((add or {}).values())})
        removes = [placeholder(k) for k in remove]
        if sets:
            clauses.append("SET " + ", ".join(sets))
        if adds:
            clauses.append("ADD " + ", ".join(adds))
        if removes:
            clauses.append("REMOVE " + ", ".join(removes))
        must_exist = Attr("pk").exists()
        kwargs: dict[str, Any] = {
            "Key": {"pk": pk, "sk": sk},
            "UpdateExpression": " ".join(clauses),
            "ConditionExpression": must_exist & _condition(condition) if condition else must_exist,
            "ExpressionAttributeNames": names,
            "ReturnValues": "ALL_NEW",
        }
        if values:
            kwargs["ExpressionAttributeValues"] = values
        try:
            return _from_dynamo(self._table.update_item(**kwargs)["Attributes"])
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConditionFailed(f"{pk}/{sk}") from None
            raise

    def query(
        self,
        pk: str,
        *,
        index: str | None = None,
        sk_prefix: str = "",
        limit: int = 50,
        cursor: str | None = None,
        descending: bool = False,
    ) -> Page:
        from boto3.dynamodb.conditions import Key

        pk_name, sk_name = ("gsi1pk", "gsi1sk") if index else ("pk", "sk")
        key_cond = Key(pk_name).eq(pk)
        if sk_prefix:
            key_cond = key_cond & Key(sk_name).begins_with(sk_prefix)
        kwargs: dict[str, Any] = {"KeyConditionExpression": key_cond, "Limit": limit, "ScanIndexForward": not descending}
        if index:
            kwargs["IndexName"] = index
        if cursor:
            try:
                kwargs["ExclusiveStartKey"] = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            except ValueError:
                raise ValueError("invalid cursor: pass back the cursor of the previous page unchanged") from None
        response = self._table.query(**kwargs)
        last = response.get("LastEvaluatedKey")
        next_cursor = base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None
        return Page(items=[_from_dynamo(i) for i in response["Items"]], cursor=next_cursor)

    def delete(self, pk: str, sk: str) -> None:
        self._table.delete_item(Key={"pk": pk, "sk": sk})
