"""PUT /api/captures/{capture_id} (stations, with their upload token) and GET /api/captures/counts (people).

The upload contract is core/contract/captures.py; the checks and their order are hub/captures/uploads.py. Here the
body is bounded before it is read whole (the app's BodyLimit leaves this path to us, so that a 413 is counted with
the other refusals): at once from Content-Length, else as soon as the chunks read pass ``max_body_bytes``. The
blocking work (JSON, JPEG decoding, fsync) runs in a worker thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from core.contract.captures import CAPTURES_PATH, COUNTS_PATH, CaptureCount, CaptureCounts
from core.contract.topics import SLUG_PATTERN
from hub.api.deps import StateDep, UserDep
from hub.captures.store import Stored
from hub.captures.uploads import CaptureRefusedError, CaptureUploads

router = APIRouter(tags=["captures"])

# Longer than any capture id (36) so that a wrong one reaches our own check (400, counted); a longer path is
# FastAPI's 422 before anything else runs.
MAX_ID_PARAM = 200

REFUSALS: dict[int | str, dict[str, str]] = {
    400: {"description": "not a capture id, a body the contract refuses, or an image that is not a JPEG"},
    401: {"description": "no upload token, or one the hub does not know"},
    403: {"description": "the metadata names another station or site than the token's"},
    404: {"description": "an id with a character no route takes (a line break): not a capture id either"},
    409: {"description": "a capture with this id is stored with other content"},
    413: {"description": "body over the limit"},
    429: {"description": "too many uploads from this station"},
    503: {"description": "captures are not set up on this hub, or its disk failed"},
}


def _uploads(state: StateDep) -> CaptureUploads:
    uploads = state.captures
    if uploads is None:
        raise HTTPException(503, "this hub takes no captures")
    return uploads


def _answer(exc: CaptureRefusedError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s is not None else None
    return JSONResponse({"detail": exc.detail, "reason": exc.reason.value}, exc.status, headers=headers)


@router.put(
    f"{CAPTURES_PATH}/{{capture_id:path}}",
    status_code=201,
    responses={200: {"description": "already stored, with the same content: nothing written"}, **REFUSALS},
)
async def put_capture(
    capture_id: Annotated[str, Path(max_length=MAX_ID_PARAM)], request: Request, state: StateDep
) -> JSONResponse:
    """Store one capture (body: ``CaptureUpload`` as JSON). 201: stored; 200: it was already, unchanged.

    ``:path`` takes slashes too, so that ``a/b`` or ``../x`` reach the id check and get 400, not a 404 that
    would leave the caller guessing."""
    uploads = _uploads(state)
    client = request.client.host if request.client else "?"
    try:
        identity = uploads.identify(request.headers.get("authorization"), capture_id, client=client)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > uploads.max_body_bytes):
            raise uploads.too_large(identity, client=client)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > uploads.max_body_bytes:
                raise uploads.too_large(identity, client=client)
        accepted = await run_in_threadpool(uploads.accept, identity, capture_id, bytes(body), client=client)
    except CaptureRefusedError as exc:
        return _answer(exc)
    status = 201 if accepted.stored is Stored.CREATED else 200
    return JSONResponse({"capture_id": accepted.capture_id, "stored": accepted.stored.value}, status)


@router.get(COUNTS_PATH, response_model=CaptureCounts)
def capture_counts(
    state: StateDep, user: UserDep, site: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None
) -> CaptureCounts:
    """Captures the hub holds per site, stream and label; a supervisor sees only their own sites."""
    uploads = _uploads(state)
    rows = [
        CaptureCount(site=s, stream=stream, label=label, count=n)
        for (s, stream, label), n in uploads.archive.counts(user.scope(site)).items()
    ]
    return CaptureCounts(counts=rows, total=sum(row.count for row in rows))
