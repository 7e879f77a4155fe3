"""The store list: HQ imports it (JSON or CSV); merchandisers list their regions' stores."""

from __future__ import annotations

from typing import Annotated

from chalice import Response
from pydantic import Field

from chalicelib.api import http, schemas
from chalicelib.api.http import AUTH, JSON, paged
from chalicelib.api.parameters import REGION
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
