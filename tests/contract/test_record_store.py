"""The record store contract: SQLite and DynamoDB behave the same, conditions included."""

import time

import pytest

from chalicelib.storage.layout import TTL_ATTRIBUTE
from chalicelib.storage.ports import ConditionFailed, PutOp, UpdateOp, absent, eq, exists, lt, one_of


def item(pk, sk="A", **attrs):
    return {"pk": pk, "sk": sk, **attrs}


def test_put_and_get_round_trip_json_types(svc):
    value = item("P1", n=3, f=0.25, s="x", b=True, none=None, l=[1, 2.5, "a"], d={"k": [{"z": 1.5}]})
    svc.records.put(value)
    assert svc.records.get("P1", "A") == value
    assert svc.records.get("P1", "missing") is None


def test_put_if_absent(svc):
    svc.records.put(item("P2", v=1), condition=absent("pk"))
    with pytest.raises(ConditionFailed):
        svc.records.put(item("P2", v=2), condition=absent("pk"))
    assert svc.records.get("P2", "A")["v"] == 1


def test_update_set_add_remove_returns_new_item(svc):
    svc.records.put(item("P3", status="queued", attempts=0, lease="t"))
    new = svc.records.update("P3", "A", set={"status": "analyzing"}, add={"attempts": 1}, remove=("lease",))
    assert new == item("P3", status="analyzing", attempts=1)
    assert svc.records.get("P3", "A") == new


def test_update_of_a_missing_item_fails(svc):
    with pytest.raises(ConditionFailed):
        svc.records.update("nope", "A", set={"x": 1})


@pytest.mark.parametrize(
    "condition, holds",
    [
        (eq("status", "queued"), True),
        (eq("status", "done"), False),
        (one_of("status", ("awaiting_upload", "queued")), True),
        (one_of("status", ("done", "rejected")), False),
        (lt("lease_until", 100.5), True),
        (lt("lease_until", 50), False),
        (exists("lease_until"), True),
        (absent("lease_until"), False),
        (eq("status", "done") | (eq("status", "queued") & lt("lease_until", 100.5)), True),
        (eq("status", "queued") & eq("missing", 1), False),
    ],
)
def test_conditional_update(svc, condition, holds):
    svc.records.put(item("P4", status="queued", lease_until=100))
    if holds:
        assert svc.records.update("P4", "A", set={"ok": True}, condition=condition)["ok"] is True
    else:
        with pytest.raises(ConditionFailed):
            svc.records.update("P4", "A", set={"ok": True}, condition=condition)
        assert "ok" not in svc.records.get("P4", "A")


def test_query_by_key_and_index_with_pagination(svc):
    for i in range(7):
        svc.records.put(item("LIST", f"S#{i:02d}", gsi1pk="IDX", gsi1sk=f"{6 - i:02d}", n=i))
    svc.records.put(item("LIST", "OTHER#1", n=99))

    seen, cursor = [], None
    while True:
        page = svc.records.query("LIST", sk_prefix="S#", limit=3, cursor=cursor)
        seen += [i["n"] for i in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert seen == list(range(7))

    page = svc.records.query("IDX", index="gsi1", limit=10)
    assert [i["n"] for i in page.items] == [6, 5, 4, 3, 2, 1, 0]
    first = svc.records.query("IDX", index="gsi1", limit=4, descending=True)
    assert [i["n"] for i in first.items] == [0, 1, 2, 3]
    rest = svc.records.query("IDX", index="gsi1", limit=4, descending=True, cursor=first.cursor)
    assert [i["n"] for i in rest.items] == [4, 5, 6]


def test_bad_cursor_is_a_value_error(svc):
    with pytest.raises(ValueError):
        svc.records.query("LIST", cursor="not-a-cursor!")


def test_delete(svc):
    svc.records.put(item("P5"))
    svc.records.delete("P5", "A")
    assert svc.records.get("P5", "A") is None


def test_second_index_and_moving_between_index_partitions(svc):
    svc.records.put(item("T", "1", gsi2pk="STORE#a", gsi2sk="2026-01", n=1))
    svc.records.put(item("T", "2", gsi2pk="STORE#a", gsi2sk="2026-02", n=2))
    svc.records.put(item("T", "3", gsi2pk="STORE#b", gsi2sk="2026-01", n=3))
    assert [i["n"] for i in svc.records.query("STORE#a", index="gsi2").items] == [1, 2]
    svc.records.update("T", "1", set={"gsi2pk": "STORE#b"})
    assert [i["n"] for i in svc.records.query("STORE#a", index="gsi2").items] == [2]
    assert [i["n"] for i in svc.records.query("STORE#b", index="gsi2").items] == [1, 3]
    with pytest.raises(ValueError):
        svc.records.query("STORE#a", index="gsi9")


def test_third_index_is_sparse_a_whole_item_put_without_its_keys_leaves_it(svc):
    # The review queue's failed-rule markers: rewritten without gsi3 keys when the rule passes again.
    queue = "CAMPAIGN#c#RULE#r#QUEUE#OPEN#fail"
    svc.records.transact(
        [
            PutOp(item("Q", f"FAILED#r#S{n}", gsi3pk=queue, gsi3sk=f"{region}#S{n}", n=n))
            for n, region in ((1, "N"), (2, "S"), (3, "N"))
        ]
    )
    assert [i["n"] for i in svc.records.query(queue, index="gsi3").items] == [1, 3, 2]
    assert [i["n"] for i in svc.records.query(queue, index="gsi3", sk_prefix="N#").items] == [1, 3]
    svc.records.transact([PutOp(item("Q", "FAILED#r#S1", n=1))])
    assert [i["n"] for i in svc.records.query(queue, index="gsi3", sk_prefix="N#").items] == [3]
    assert svc.records.get("Q", "FAILED#r#S1") == item("Q", "FAILED#r#S1", n=1)
    # gsi3 keys are independent of the others: the item stays in gsi1.
    svc.records.put(item("Q", "T", gsi1pk="ONE", gsi1sk="1", gsi3pk="THREE", gsi3sk="1", n=9))
    assert [i["n"] for i in svc.records.query("ONE", index="gsi1").items] == [9]
    assert [i["n"] for i in svc.records.query("THREE", index="gsi3").items] == [9]


def test_upsert_creates_counters_then_adds(svc):
    svc.records.update("AGG", "X", add={"n": 1, "score": 0.5}, set={"label": "x"}, upsert=True)
    new = svc.records.update("AGG", "X", add={"n": 2, "rule:a:pass": 1}, upsert=True)
    assert new == {"pk": "AGG", "sk": "X", "n": 3, "score": 0.5, "label": "x", "rule:a:pass": 1}
    with pytest.raises(ConditionFailed):
        svc.records.update("AGG", "Y", add={"n": 1}, upsert=True, condition=eq("v", 1))


def test_transaction_applies_all_writes(svc):
    svc.records.put(item("TX", "OUT", version=1))
    svc.records.transact(
        [
            PutOp(item("TX", "OUT", version=2), condition=eq("version", 1)),
            UpdateOp("TX", "COUNT", add={"n": 1}, upsert=True),
            UpdateOp("TX", "COUNT2", add={"n": 5}, set={"s": "a"}, upsert=True),
        ]
    )
    assert svc.records.get("TX", "OUT")["version"] == 2
    assert svc.records.get("TX", "COUNT")["n"] == 1
    assert svc.records.get("TX", "COUNT2") == item("TX", "COUNT2", n=5, s="a")


def test_transaction_with_a_failed_condition_writes_nothing(svc):
    svc.records.put(item("TY", "OUT", version=1))
    with pytest.raises(ConditionFailed):
        svc.records.transact(
            [
                UpdateOp("TY", "COUNT", add={"n": 1}, upsert=True),
                PutOp(item("TY", "OUT", version=3), condition=eq("version", 2)),
            ]
        )
    assert svc.records.get("TY", "COUNT") is None
    assert svc.records.get("TY", "OUT")["version"] == 1
    with pytest.raises(ConditionFailed):
        svc.records.transact([UpdateOp("TY", "MISSING", set={"x": 1})])


def test_put_many_writes_every_item(svc):
    svc.records.put_many([item("MANY", f"{i:03d}", n=i) for i in range(60)] + [item("MANY", "000", n=-1)])
    page = svc.records.query("MANY", limit=100)
    assert len(page.items) == 60
    assert page.items[0]["n"] == -1  # the later write of a key wins


def test_put_many_of_many_batches_at_once_writes_each_once_the_last_of_a_key(svc):
    items = [item("BULK", f"{i:04d}", n=i) for i in range(530)]  # 22 requests: more than the workers
    svc.records.put_many(items + [item("BULK", "0007", n=-7), item("BULK", "0529", n=-529)])
    written = {}
    cursor = None
    while True:
        page = svc.records.query("BULK", limit=200, cursor=cursor)
        written.update({i["sk"]: i["n"] for i in page.items})
        if (cursor := page.cursor) is None:
            break
    assert len(written) == 530 and written["0007"] == -7 and written["0529"] == -529 and written["0300"] == 300


def test_an_item_past_its_time_to_live_reads_as_absent(svc):
    now = int(time.time())
    svc.records.put(item("TTL", "GONE", expires_at=now - 5))
    svc.records.put(item("TTL", "LIVE", expires_at=now + 3600))
    svc.records.put(item("TTL", "KEPT"))
    assert svc.records.get("TTL", "GONE") is None
    assert svc.records.get("TTL", "LIVE")["expires_at"] == now + 3600
    assert [i["sk"] for i in svc.records.query("TTL", limit=10).items] == ["KEPT", "LIVE"]
    # written again with a later expiry, it is back
    svc.records.update("TTL", "GONE", set={"expires_at": now + 60}, upsert=True)
    assert svc.records.get("TTL", "GONE") is not None


def test_the_local_sweep_deletes_the_expired_items_and_dynamodb_has_the_ttl_on(svc, backend):
    now = int(time.time())
    svc.records.put_many([item("SWEPT", f"{i}", expires_at=now - 1) for i in range(3)] + [item("SWEPT", "LIVE")])
    if backend == "aws":
        client = svc.records._table.meta.client  # DynamoDB deletes expired items itself, within days
        described = client.describe_time_to_live(TableName=svc.records._table.name)["TimeToLiveDescription"]
        assert (described["TimeToLiveStatus"], described["AttributeName"]) == ("ENABLED", TTL_ATTRIBUTE)
        return
    assert svc.records.delete_expired(now) == 3
    assert svc.records.delete_expired(now) == 0
    assert [i["sk"] for i in svc.records.query("SWEPT", limit=10).items] == ["LIVE"]


def test_local_worker_sweep_deletes_expired_records(svc, backend):
    if backend == "aws":
        pytest.skip("DynamoDB deletes expired items itself; the local worker's sweep is the local backend's")
    from chalicelib.local.worker import LocalWorker

    svc.records.put(item("WORKER", "OLD", expires_at=int(time.time()) - 1))
    LocalWorker(svc.queue, processor=None, delete_expired=svc.records.delete_expired).maintain(now=10**9)  # type: ignore[arg-type]
    assert svc.records.delete_expired() == 0  # the worker's sweep had deleted it
