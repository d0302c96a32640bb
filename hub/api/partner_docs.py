"""The hub's own API documentation at /docs: Swagger UI on the partner API's schema (the volume feed and the
reports, /api/v1/feeds/openapi.json), anonymous like the schema itself. Swagger UI's script and style come
from the fastapi-offline package and are served by the hub (/docs/assets/): a hub at a site without internet
shows the page whole, and a partner's browser fetches nothing from anywhere else.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from hub.api.feed_openapi import TITLE

DOCS = "/docs"
ASSETS = "/docs/assets"
SCHEMA = "/api/v1/feeds/openapi.json"

router = APIRouter()


@router.get(DOCS, include_in_schema=False, response_class=HTMLResponse)
def get_docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=SCHEMA,
        title=f"{TITLE} (Swagger UI)",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
        # No validator badge: Swagger UI would fetch it from validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None, "tryItOutEnabled": False},
    )


def install(app: FastAPI) -> None:
    """The page and its assets (a mount, so it is registered before the app's own /static)."""
    assets = resources.files("fastapi_offline").joinpath("static")
    app.mount(ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")
    app.include_router(router)
