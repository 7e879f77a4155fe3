"""Where everything is stored: every record key, index key and blob prefix, in one place.

The record store holds items keyed by (pk, sk) with three secondary indexes, ``gsi1`` to ``gsi3``,
on the attributes ``<index>pk`` / ``<index>sk`` (an item without an index's pk is not in that
index). Services build keys with these functions and nothing else writes a key string, so the
layout can be read here whole (docs/ARCHITECTURE.md, *Storage layout*):

| pk | sk | gsi1 (pk / sk) | gsi2 (pk / sk) | gsi3 (pk / sk) |
|---|---|---|---|---|
| ``CAMPAIGN#<c>`` | ``CAMPAIGN`` | ``CAMPAIGNS`` / ``<start>#<c>`` | | |
| ``CAMPAIGN#<c>`` | ``GUIDELINE#<version:06d>`` | | | |
| ``CAMPAIGN#<c>`` | ``TARGET#<store>`` | ``CAMPAIGN#<c>#STATE#<state>`` / ``<region>#<store>`` | ``STORE#<store>`` / ``<start>#<c>`` | ``CAMPAIGN#<c>#QUEUE#<OPEN or REVIEWED>#<state>`` / ``<region>#<store>`` |
| ``CAMPAIGN#<c>`` | ``FAILED#<rule>#<store>`` | | | ``CAMPAIGN#<c>#RULE#<rule>#QUEUE#…#<state>`` / ``<region>#<store>`` while the rule fails |
| ``STORES`` | ``<s>`` | ``REGION#<r>`` / ``<s>`` | ``CLUSTER#<k>`` / ``<s>`` |
| ``STORE_FACETS`` | ``ALL`` | | |
| ``STORE_WORDS`` | ``<word of the name>#<s>`` | | |
| ``SUBMISSION#<id>`` | ``SUBMISSION`` | ``CAMPAIGN#<c>`` / ``SUBMISSION#<created>#<id>`` | ``CAMPAIGN#<c>#REGION#<r>`` / same |
| ``SUBMISSION#<id>`` | ``AUDIT#<at>#<n>`` | | |
| ``PENDING`` | ``<created, epoch s:012d>#<id>`` | | |
| ``NOTICES`` | ``<due, epoch s:012d>#<submission>#<decision>`` | | |
| ``SHOWCASE`` | ``<featured at>#<id>`` | | |
| ``AGG#CAMPAIGN#<c>`` | ``ALL`` or ``REGION#<r>`` | | |
| ``AGG#WEEKS#ALL`` or ``AGG#WEEKS#REGION#<r>`` | ``<iso week>`` | | |
| ``EXPORT#<id>`` | ``EXPORT`` | | |
| ``TRIAL#<id>`` | ``TRIAL`` (``expires_at``: a day) | | |
| ``OUTBOX`` | ``<at>#<n>`` | ``OUTBOX#<store>`` / ``<at>`` | |

Blobs: ``incoming/<submission>`` (the uploaded photo; the bucket notifies the analysis queue of
this prefix only), ``derived/<submission>/<name>.jpg`` (normalised, thumbnail, overlay),
``packs/<file id>`` (campaign pack files), ``exports/<export>.csv``, ``trials/<trial>/<name>``
(HQ's test photos against a draft guideline and their overlays: never a submission, never counted,
expired by the bucket's lifecycle).

Pure data and string functions: imported by the services, the adapters, the infrastructure and
the tests alike.
"""

from __future__ import annotations

from typing import Any

# --- the table ----------------------------------------------------------------------------------

INDEXES = ("gsi1", "gsi2", "gsi3")
INDEX_ATTRIBUTES = tuple(f"{index}{part}" for index in INDEXES for part in ("pk", "sk"))
KEY_ATTRIBUTES = ("pk", "sk", *INDEX_ATTRIBUTES)

# The table's shape in DynamoDB's terms; the DynamoDB adapter and the infrastructure (infra/) build
# the table from this, the SQLite adapter its columns from INDEXES.
TABLE_KEY_SCHEMA: dict[str, Any] = {
    "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in KEY_ATTRIBUTES],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": index,
            "KeySchema": [
                {"AttributeName": f"{index}pk", "KeyType": "HASH"},
                {"AttributeName": f"{index}sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for index in INDEXES
    ],
    "BillingMode": "PAY_PER_REQUEST",
}

# The table's time-to-live attribute (DynamoDB's TimeToLiveSpecification; the SQLite adapter
# honours it too): an item whose ``expires_at`` (epoch seconds) has passed reads as absent, and is
# deleted later (DynamoDB: within days; locally: by the worker's sweep). Items without it stay.
TTL_ATTRIBUTE = "expires_at"

Key = tuple[str, str]


def without_keys(item: dict[str, Any]) -> dict[str, Any]:
    """An item as the API shows it: without its table and index keys."""
    return {k: v for k, v in item.items() if k not in KEY_ATTRIBUTES}


# --- campaigns, their guideline versions and targets ---------------------------------------------

CAMPAIGNS = "CAMPAIGNS"  # gsi1 partition of every campaign, by start date
GUIDELINE_PREFIX = "GUIDELINE#"
TARGET_PREFIX = "TARGET#"


def campaign_key(campaign_id: str) -> Key:
    return f"CAMPAIGN#{campaign_id}", "CAMPAIGN"


def campaign_index(campaign_id: str, start_date: str) -> dict[str, str]:
    """A campaign's place in gsi1: all campaigns, by start date."""
    return {"gsi1pk": CAMPAIGNS, "gsi1sk": f"{start_date}#{campaign_id}"}


def guideline_key(campaign_id: str, version: int) -> Key:
    return f"CAMPAIGN#{campaign_id}", f"{GUIDELINE_PREFIX}{version:06d}"


def target_key(campaign_id: str, store_id: str) -> Key:
    return f"CAMPAIGN#{campaign_id}", f"{TARGET_PREFIX}{store_id}"


def target_state_partition(campaign_id: str, state: str) -> str:
    """gsi1: a campaign's targets in one outcome state, by region then store."""
    return f"CAMPAIGN#{campaign_id}#STATE#{state}"


def target_state_index(campaign_id: str, state: str, region: str, store_id: str, *, reviewed: bool = False) -> dict[str, str]:
    """gsi1 (HQ: the targets by state) and gsi3 (the gallery's review queue: by reviewed or not, then state)."""
    return {
        "gsi1pk": target_state_partition(campaign_id, state),
        "gsi1sk": f"{region}#{store_id}",
        **review_queue_index(campaign_id, reviewed, state, region, store_id),
    }


# The gallery's review queue (gsi3): a campaign's targets in partitions by whether a person has
# decided on the latest photo and by its state, so "not reviewed yet first" and every filter are
# key queries. A store's latest photo also has one marker per rule it fails (sk FAILED#…), in the
# same index under the rule's own partitions; a marker whose rule passes again loses its gsi3 keys
# (sparse) and so leaves the index without a delete.
FAILED_RULE_PREFIX = "FAILED#"


def review_queue_partition(campaign_id: str, reviewed: bool, state: str, rule_id: str | None = None) -> str:
    scope = f"CAMPAIGN#{campaign_id}" + (f"#RULE#{rule_id}" if rule_id else "")
    return f"{scope}#QUEUE#{'REVIEWED' if reviewed else 'OPEN'}#{state}"


def review_queue_index(
    campaign_id: str, reviewed: bool, state: str, region: str, store_id: str, rule_id: str | None = None
) -> dict[str, str]:
    return {"gsi3pk": review_queue_partition(campaign_id, reviewed, state, rule_id), "gsi3sk": f"{region}#{store_id}"}


def failed_rule_key(campaign_id: str, rule_id: str, store_id: str) -> Key:
    return f"CAMPAIGN#{campaign_id}", f"{FAILED_RULE_PREFIX}{rule_id}#{store_id}"


def store_campaigns_partition(store_id: str) -> str:
    """gsi2: a store's targets (the campaigns it is in), by campaign start."""
    return f"STORE#{store_id}"


def store_campaigns_index(store_id: str, start_date: str, campaign_id: str) -> dict[str, str]:
    return {"gsi2pk": store_campaigns_partition(store_id), "gsi2sk": f"{start_date}#{campaign_id}"}


# --- stores ----------------------------------------------------------------------------------------


STORES = "STORES"  # the store list, by id


def store_key(store_id: str) -> Key:
    return STORES, store_id


def region_partition(region: str) -> str:
    """gsi1: a region's stores, by id."""
    return f"REGION#{region}"


def cluster_partition(cluster: str) -> str:
    """gsi2: a cluster's stores, by id."""
    return f"CLUSTER#{cluster}"


# What the campaign set-up's target picker reads instead of the whole list (chalicelib.services.
# store_directory rebuilds both at each import): the stores per region and cluster, and the words
# of the stores' names, each word's items sorted by the word (a search by the start of a word).
STORE_FACETS = "STORE_FACETS"
STORE_WORDS = "STORE_WORDS"


def store_facets_key() -> Key:
    return STORE_FACETS, ALL


def store_word_key(word: str, store_id: str) -> Key:
    return STORE_WORDS, f"{word}#{store_id}"


def store_index(store_id: str, region: str, cluster: str | None) -> dict[str, str]:
    index = {"gsi1pk": region_partition(region), "gsi1sk": store_id}
    if cluster:
        index.update(gsi2pk=cluster_partition(cluster), gsi2sk=store_id)
    return index


# --- submissions and their audit trail ---------------------------------------------------------------

SUBMISSION_PREFIX = "SUBMISSION#"
AUDIT_PREFIX = "AUDIT#"


def submission_key(submission_id: str) -> Key:
    return f"{SUBMISSION_PREFIX}{submission_id}", "SUBMISSION"


def campaign_submissions_partition(campaign_id: str) -> str:
    """gsi1: a campaign's submissions, newest last (sk starts with SUBMISSION_PREFIX)."""
    return f"CAMPAIGN#{campaign_id}"


def region_submissions_partition(campaign_id: str, region: str) -> str:
    """gsi2: one region's submissions of a campaign (the gallery of a merchandiser)."""
    return f"CAMPAIGN#{campaign_id}#REGION#{region}"


def submission_index(campaign_id: str, created_at: str, submission_id: str) -> dict[str, str]:
    return {"gsi1pk": campaign_submissions_partition(campaign_id), "gsi1sk": f"{SUBMISSION_PREFIX}{created_at}#{submission_id}"}


def submission_region_index(campaign_id: str, region: str, gsi1sk: str) -> dict[str, str]:
    return {"gsi2pk": region_submissions_partition(campaign_id, region), "gsi2sk": gsi1sk}


def audit_sk(at: str, nonce: str) -> str:
    return f"{AUDIT_PREFIX}{at}#{nonce}"


# --- submissions not finished yet: what the sweep reads (chalicelib.services.recovery) ---------------

PENDING = "PENDING"  # one small partition, oldest first; a marker leaves it when its submission is final


def pending_key(created_epoch: float, submission_id: str) -> Key:
    return PENDING, f"{int(created_epoch):012d}#{submission_id}"


def pending_created(sk: str) -> int:
    """When the marker's submission was created (epoch seconds), from its sort key."""
    return int(sk.split("#", 1)[0])


def pending_submission_id(sk: str) -> str:
    return sk.split("#", 1)[1]


# --- review decisions whose store message is not settled yet (chalicelib.services.notifications) ------

NOTICES = "NOTICES"  # one small partition, oldest due first; a marker leaves it once its decision is settled


def notice_key(due_epoch: float, submission_id: str, decision_id: str) -> Key:
    return NOTICES, f"{int(due_epoch):012d}#{submission_id}#{decision_id}"


def notice_due(sk: str) -> int:
    """When the marker's decision is due to be told (epoch seconds), from its sort key."""
    return int(sk.split("#", 1)[0])


# --- the showcase: featured windows, newest last ---------------------------------------------------

SHOWCASE = "SHOWCASE"


def showcase_key(featured_at: str, submission_id: str) -> Key:
    return SHOWCASE, f"{featured_at}#{submission_id}"


# --- HQ's counters -----------------------------------------------------------------------------------

ALL = "ALL"
WEEKS_ALL = "AGG#WEEKS#ALL"


def campaign_aggregates_partition(campaign_id: str) -> str:
    return f"AGG#CAMPAIGN#{campaign_id}"


def region_sk(region: str) -> str:
    return f"REGION#{region}"


def weeks_partition(region: str | None = None) -> str:
    return f"AGG#WEEKS#REGION#{region}" if region else WEEKS_ALL


def region_of_sk(sk: str) -> str:
    return sk.removeprefix("REGION#")


def aggregate_scope(pk: str, sk: str) -> str:
    """What an aggregate counts, as its items say it: ALL or REGION#<r> of a campaign, a week's ALL or REGION#<r>."""
    return sk if pk.startswith("AGG#CAMPAIGN#") else pk.removeprefix("AGG#WEEKS#")


def aggregate_keys(campaign_id: str, region: str, week: str) -> list[Key]:
    """The counters one result of a campaign adds to: the campaign, its region, the week network-wide
    and the week in the region."""
    return [
        (campaign_aggregates_partition(campaign_id), ALL),
        (campaign_aggregates_partition(campaign_id), region_sk(region)),
        (WEEKS_ALL, week),
        (weeks_partition(region), week),
    ]


# --- jobs and events -------------------------------------------------------------------------------


def export_key(export_id: str) -> Key:
    return f"EXPORT#{export_id}", "EXPORT"


# A trial (its record and its blobs under trials/) is kept a day: read within minutes, shown again
# the same day. The bucket's lifecycle rule and the record's time to live both use this.
TRIAL_RETENTION_DAYS = 1


def trial_key(trial_id: str) -> Key:
    """HQ's test of a draft guideline on one photo: its own partition, outside every listing and counter."""
    return f"TRIAL#{trial_id}", "TRIAL"


OUTBOX = "OUTBOX"  # the partition of every event (local backend), newest last


def outbox_sk(at: str, nonce: str) -> str:
    return f"{at}#{nonce}"


def outbox_index(store_id: str, at: str) -> dict[str, str]:
    """gsi1: one store's events, so a store's page reads only its own."""
    return {"gsi1pk": outbox_store_partition(store_id), "gsi1sk": at}


def outbox_store_partition(store_id: str) -> str:
    return f"OUTBOX#{store_id}"


# --- blobs -------------------------------------------------------------------------------------------

UPLOAD_PREFIX = "incoming/"  # the uploaded photos: the bucket notifies the analysis queue of these only
DERIVED_PREFIX = "derived/"
PACK_PREFIX = "packs/"
EXPORT_PREFIX = "exports/"
TRIAL_PREFIX = "trials/"  # HQ's test photos and their overlays; the bucket notifies no one of these
BLOB_PREFIXES = (UPLOAD_PREFIX, DERIVED_PREFIX, PACK_PREFIX, EXPORT_PREFIX, TRIAL_PREFIX)


def upload_key(submission_id: str) -> str:
    return f"{UPLOAD_PREFIX}{submission_id}"


def submission_id_from_upload_key(key: str) -> str | None:
    return key[len(UPLOAD_PREFIX) :] if key.startswith(UPLOAD_PREFIX) else None


def derived_key(submission_id: str, name: str) -> str:
    return f"{DERIVED_PREFIX}{submission_id}/{name}"


def pack_key(file_id: str) -> str:
    return f"{PACK_PREFIX}{file_id}"


def export_blob_key(export_id: str) -> str:
    return f"{EXPORT_PREFIX}{export_id}.csv"


def trial_blob_key(trial_id: str, name: str) -> str:
    """A test photo (``photo``) or what its analysis drew (``overlay.jpg``)."""
    return f"{TRIAL_PREFIX}{trial_id}/{name}"
