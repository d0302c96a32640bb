"""GET /api/models/{file}: a stored model bundle for the stations (docs/fleet.md, "Signed rollout").

No login: a model is not secret, and what makes it safe to run is the station's own check of the signed
manifest (signature, size, sha256), not who served the bytes. Only a name the store made is looked up
(``hub.fleet.models.FILE_NAME``): a path-like name is 400, any other name 404, and there is no listing. Each
client address gets ``models.downloads_per_minute`` (429 beyond), so nobody can keep the hub busy sending files.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from hub.api.deps import StateDep
from hub.fleet.models import FILE_NAME, MAX_FILE_NAME, URL_PREFIX

logger = logging.getLogger(__name__)

router = APIRouter(tags=["models"])


@router.get(
    URL_PREFIX + "{file}",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/x-tar": {}}, "description": "the bundle, as the manifest's sha256 says"},
        400: {"description": "not a name the model store makes"},
        404: {"description": "no stored bundle of that name"},
        429: {"description": "too many downloads from this address: wait Retry-After seconds"},
    },
)
def model_bundle(
    file: Annotated[str, PathParam(max_length=MAX_FILE_NAME)], request: Request, state: StateDep
) -> FileResponse:
    store = state.models
    if store is None:
        raise HTTPException(404, "this hub serves no models")
    if not FILE_NAME.fullmatch(file):
        raise HTTPException(400, "not a model bundle's name")
    wait = store.downloads.take(request.client.host if request.client else "unknown")
    if wait is not None:
        raise HTTPException(429, f"too many model downloads: try again in {wait} s", headers={"Retry-After": str(wait)})
    path = store.path(file)
    if path is None:
        raise HTTPException(404, "no such model")
    logger.info("model %s sent to %s", file, request.client.host if request.client else "unknown")
    return FileResponse(path, media_type="application/x-tar", filename=file)
