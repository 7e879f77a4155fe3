"""The store list: HQ imports it (JSON or CSV); merchandisers list their regions' stores."""

from __future__ import annotations

from typing import Annotated

from chalice import Response
from pydantic import Field

from chalicelib.api import http, schemas
from chalicelib.api.http import AUTH, JSON, Param, paged
from chalicelib.api.parameters import REGION
from chalicelib.services.store_directory import MAX_QUERY, MAX_RESULTS, ReachIn
from chalicelib.services.stores import MAX_IMPORT, MAX_PAGE, StoreIn
from chalicelib.wiring import services

stores = http.Resource(__name__)
route = http.Routes(stores, http.Tag("stores", "The store list"))

CSV = "text/csv"
StoreRows = Annotated[list[StoreIn], Field(min_length=1, max_length=MAX_IMPORT)]
StoreCsv = Annotated[str, Field(description="a header line store_id,name,region,cluster,timezone, then a store a line")]


@route(
    "/stores",
    "PUT",
    "stores:write",
    summary="Import the store list (an upsert)",
    content_types=[JSON, CSV],
    body={JSON: StoreRows, CSV: StoreCsv},
    response={200: schemas.StoresImported},
    errors=(400, *AUTH),
    description="Every row is checked before any is written; errors name the row and field.",
    examples={
        JSON: [{"store_id": "S001", "name": "Milano Duomo", "region": "north", "cluster": "flagship", "timezone": "Europe/Rome"}],
        CSV: "store_id,name,region,cluster,timezone\nS001,Milano Duomo,north,flagship,Europe/Rome\n",
    },
)
def import_stores(caller) -> Response:
    request = route.request
    return http.respond(services().stores.import_list(request.raw_body, request.headers.get("content-type", JSON)))


@route(
    "/stores",
    "GET",
    "stores:read",
    summary="List stores by id, or one region's",
    query=(REGION, *paged(100, MAX_PAGE)),
    response={200: schemas.StoreList},
    errors=(400, *AUTH),
    description="A merchandiser lists its own regions' stores only (?region= when it has several).",
)
def list_stores(caller, query) -> Response:
    return http.respond(services().stores.list(caller, region=query["region"], **query.page()))


Q = Param("q", {"type": "string", "minLength": 1, "maxLength": MAX_QUERY}, "the start of a store id, or of a word of its name")
RESULTS = Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS, "default": 20}, "at most this many stores")


@route(
    "/stores/facets",
    "GET",
    "stores:read",
    summary="The regions and clusters of the store list, with their number of stores",
    response={200: schemas.StoreFacets},
    errors=AUTH,
    description="Kept as the list is imported: no listing. A merchandiser sees its own regions only.",
)
def store_facets(caller) -> Response:
    return http.respond(services().store_directory.facets(caller))


@route(
    "/stores/search",
    "GET",
    "stores:read",
    summary="Stores by the start of their id or of a word of their name",
    query=(Q, RESULTS),
    response={200: schemas.StoreMatches},
    errors=(400, *AUTH),
    description="Ids first (as typed, then in capitals), then names (without case or accents): 'duo' finds "
    "'Milano Duomo'. A merchandiser finds its own regions' stores only.",
)
def search_stores(caller, query) -> Response:
    return http.respond(services().store_directory.search(caller, query["q"], query["limit"]))


@route(
    "/stores/reach",
    "POST",
    "campaigns:write",
    summary="How many stores a campaign's targets reach, as publishing resolves them",
    body=ReachIn,
    response={200: schemas.StoreReach},
    errors=(400, *AUTH),
    description="For the campaign set-up while its targets change: the count from the store list's facets, and the "
    "stores named one by one as the list has them (or unknown).",
    example={"regions": ["north"], "clusters": [], "stores": ["S001"]},
)
def store_reach(caller) -> Response:
    return http.respond(services().store_directory.reach(route.json_body()))
