"""Record store adapter on a DynamoDB table (pk, sk) with the global secondary indexes of
chalicelib.storage.layout (``gsi1``, ``gsi2``)."""

from __future__ import annotations

import base64
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, ConditionExpressionBuilder
from botocore.exceptions import ClientError

from chalicelib.storage.layout import INDEXES, TABLE_KEY_SCHEMA, TTL_ATTRIBUTE
from chalicelib.storage.ports import MAX_TRANSACTION, Cond, ConditionFailed, Page, PutOp, UpdateOp


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


def _live(item: dict[str, Any], now: float) -> bool:
    expires_at = item.get(TTL_ATTRIBUTE)
    return not isinstance(expires_at, Decimal) or expires_at > Decimal(repr(now))


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


def _update_params(op: UpdateOp, remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """UpdateItem's key, expressions and condition for an update (used alone or in a transaction)."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}

    def placeholder(field: str) -> str:
        alias = f"#a{len(names)}"
        names[alias] = field
        return alias

    sets = [f"{placeholder(k)} = :s{i}" for i, k in enumerate(op.set)]
    values.update({f":s{i}": _to_dynamo(v) for i, v in enumerate(op.set.values())})
    adds = [f"{placeholder(k)} :d{i}" for i, k in enumerate(op.add)]
    values.update({f":d{i}": _to_dynamo(v) for i, v in enumerate(op.add.values())})
    removes = [placeholder(k) for k in remove]
    clauses = [f"{verb} " + ", ".join(parts) for verb, parts in (("SET", sets), ("ADD", adds), ("REMOVE", removes)) if parts]
    params: dict[str, Any] = {
        "Key": {"pk": op.pk, "sk": op.sk},
        "UpdateExpression": " ".join(clauses),
        "ExpressionAttributeNames": names,
    }
    condition = op.condition
    if not op.upsert:
        must_exist = Cond("exists", "pk")
        condition = must_exist & condition if condition else must_exist
    if condition is not None:
        _add_condition(params, condition)
    if values or "ExpressionAttributeValues" in params:
        params["ExpressionAttributeValues"] = {**params.get("ExpressionAttributeValues", {}), **values}
    return params


def _add_condition(params: dict[str, Any], condition: Cond) -> None:
    """Write a condition as an expression string with its own placeholders: inside a transaction
    boto3 would put the names and values of a condition object at the request's top level."""
    built = ConditionExpressionBuilder().build_expression(_condition(condition))
    params["ConditionExpression"] = built.condition_expression
    params["ExpressionAttributeNames"] = {**params.get("ExpressionAttributeNames", {}), **built.attribute_name_placeholders}
    if built.attribute_value_placeholders:
        params["ExpressionAttributeValues"] = {
            **params.get("ExpressionAttributeValues", {}),
            **built.attribute_value_placeholders,
        }


BATCH_ITEMS = 25  # BatchWriteItem's limit
BATCH_WORKERS = 8  # concurrent BatchWriteItem requests of one put_many
BATCH_TRIES = 8  # tries of a batch's unprocessed items (DynamoDB returns them when throttled)
RETRY_BASE_SECONDS = 0.05  # back-off: doubled at each try, with jitter, capped
RETRY_CAP_SECONDS = 2.0


class UnwrittenItems(RuntimeError):
    """A batch's items were still unprocessed after every try (the table kept throttling)."""


class DynamoRecordStore:
    def __init__(self, table: Any, batch_workers: int = BATCH_WORKERS):
        self._table = table  # a boto3 Table resource
        # Why concurrent: a 10,000-store first import writes ~43,000 items (stores and the
        # directory's name words), ~1,740 requests; one after another at ~8 ms each they took
        # ~14 s of API Gateway's 29 s (bench/bench_batch_writes.py).
        self._batch_workers = max(1, batch_workers)

    @classmethod
    def create_table(cls, dynamodb_resource: Any, name: str) -> DynamoRecordStore:
        """Create the table (for the emulator in tests; in AWS the infrastructure creates it)."""
        table = dynamodb_resource.create_table(TableName=name, **TABLE_KEY_SCHEMA)
        table.wait_until_exists()
        table.meta.client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
        )
        return cls(table)

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
        # DynamoDB deletes an expired item within days, and serves it until then: absent already
        return _from_dynamo(item) if item and _live(item, time.time()) else None

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

    def put_many(self, items: list[dict[str, Any]]) -> None:
        """BatchWriteItem requests of 25, up to ``batch_workers`` at once; each request's
        UnprocessedItems tried again with back-off. A key named twice: the last item wins (one
        request may not name a key twice, and two requests at once would race)."""
        latest = {(item["pk"], item["sk"]): item for item in items}
        requests = [{"PutRequest": {"Item": _to_dynamo(item)}} for item in latest.values()]
        batches = [requests[n : n + BATCH_ITEMS] for n in range(0, len(requests), BATCH_ITEMS)]
        if len(batches) <= 1 or self._batch_workers == 1:
            for batch in batches:
                self._write_batch(batch)
            return
        with ThreadPoolExecutor(max_workers=min(self._batch_workers, len(batches))) as pool:
            for _ in pool.map(self._write_batch, batches):  # raises the first failure, after all ran
                pass

    def _write_batch(self, batch: list[dict[str, Any]]) -> None:
        client = self._table.meta.client  # thread-safe (the Table resource is not)
        pending = batch
        for attempt in range(BATCH_TRIES):
            response = client.batch_write_item(RequestItems={self._table.name: pending})
            pending = response.get("UnprocessedItems", {}).get(self._table.name) or []
            if not pending:
                return
            time.sleep(min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2**attempt) * random.uniform(0.5, 1.0))
        raise UnwrittenItems(f"{len(pending)} of {len(batch)} items still unprocessed after {BATCH_TRIES} tries (throttled)")

    def update(
        self,
        pk: str,
        sk: str,
        *,
        set: dict[str, Any] | None = None,
        add: dict[str, int | float] | None = None,
        remove: tuple[str, ...] = (),
        condition: Cond | None = None,
        upsert: bool = False,
    ) -> dict[str, Any]:
        kwargs = _update_params(UpdateOp(pk, sk, set or {}, add or {}, condition, upsert), remove)
        try:
            return _from_dynamo(self._table.update_item(**kwargs, ReturnValues="ALL_NEW")["Attributes"])
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConditionFailed(f"{pk}/{sk}") from None
            raise

    def transact(self, ops: list[PutOp | UpdateOp]) -> None:
        if len(ops) > MAX_TRANSACTION:
            raise ValueError(f"a transaction takes at most {MAX_TRANSACTION} writes")
        name = self._table.name
        items: list[dict[str, Any]] = []
        for op in ops:
            if isinstance(op, PutOp):
                put: dict[str, Any] = {"TableName": name, "Item": _to_dynamo(op.item)}
                if op.condition is not None:
                    _add_condition(put, op.condition)
                items.append({"Put": put})
            else:
                items.append({"Update": {"TableName": name, **_update_params(op)}})
        try:
            # The resource's client serialises Python values, as the Table does.
            self._table.meta.client.transact_write_items(TransactItems=items)
        except ClientError as err:
            if err.response["Error"]["Code"] == "TransactionCanceledException":
                raise ConditionFailed(str(err.response.get("CancellationReasons", ""))) from None
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

        if index is not None and index not in INDEXES:
            raise ValueError(f"unknown index {index!r}")
        pk_name, sk_name = (f"{index}pk", f"{index}sk") if index else ("pk", "sk")
        key_cond = Key(pk_name).eq(pk)
        if sk_prefix:
            key_cond = key_cond & Key(sk_name).begins_with(sk_prefix)
        kwargs: dict[str, Any] = {"KeyConditionExpression": key_cond, "Limit": limit, "ScanIndexForward": not descending}
        if index:
            kwargs["IndexName"] = index
        # expired items not deleted yet are left out (a page may then hold fewer than ``limit``)
        kwargs["FilterExpression"] = Attr(TTL_ATTRIBUTE).not_exists() | Attr(TTL_ATTRIBUTE).gt(int(time.time()))
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
