"""The feed's own OpenAPI document and a plain HTML page made from it (the parameters and answers it describes
are in hub/api/feed_models.py).

The hub's full schema (/api/v1/openapi.json) needs a login and describes the dashboard too; a partner that
integrates the feed needs only the feed, without logging in. The page is rendered here from the same schema,
with no script and nothing from a CDN: a hub at a site without internet serves it whole.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi.openapi.utils import get_openapi
from starlette.routing import BaseRoute

from core import __version__
from hub.api.bad_request import without_422

TITLE = "Sortcentre partner API: volume feed and reports"
DESCRIPTION = """\
Collected volumes (kg and items) per period, site, municipality, stream and category, and the BKN, UPV Textiel,
CBS and CO2e reports, for ROVA and the municipalities. Send an API key as `Authorization: Bearer sck_...` (ask
the hub's admin for one: `sortcentre keys create`). A key reads only the sites and municipalities it was made
for, and only what its scopes allow (`volumes:read` for the feed, `reports:read` for the reports).

Every answer to a bad request is JSON with one sentence in `detail` that names the parameter: `400` for a
parameter (a missing `to`, a date that does not exist, a value outside its list), `401` with
`WWW-Authenticate: Bearer` without a valid key, `403` for a scope or site the key lacks. CSV comes as
`format=csv` (comma, decimal point) or `format=csv-nl` (semicolon, decimal comma, UTF-8 with BOM: Dutch Excel
opens it as it is).

Periods are local days in Europe/Amsterdam; `to` is included. Grams are exact integers (`kg` = grams / 1000).
Figures of an **open** period can still change (a station that was offline sends its events later); a
**closed** month keeps the figures it had when an admin closed it, and later events show as `adjustment_grams`
and `adjustment_items`.

Paging: follow `next_cursor` (or the `Link: rel="next"` header) until it is null. Caching: send the `ETag` back
as `If-None-Match` and get `304 Not Modified` while nothing changed. Too many requests get `429` with
`Retry-After`."""


def feed_schema(routes: Sequence[BaseRoute], page_size: int | None = None) -> dict[str, Any]:
    """``page_size``: the hub's ``feeds.page_size``, shown as the maximum of ``limit`` (the parameter's own
    bound is that setting's bound, which no hub serves)."""
    schema = get_openapi(title=TITLE, version=__version__, description=DESCRIPTION, routes=list(routes))
    if page_size is not None:
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter["name"] == "limit":
                        found = parameter["schema"]
                        for part in [found, *found.get("anyOf", [])]:
                            if "maximum" in part:
                                part["maximum"] = page_size
    schema.setdefault("components", {})["securitySchemes"] = {
        "apiKey": {"type": "http", "scheme": "bearer", "description": "an API key: sck_<id>_<secret>"}
    }
    schema["security"] = [{"apiKey": []}]
    without_422(schema)
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 body, which these routes never send
        schema["components"].get("schemas", {}).pop(unused, None)
    return schema


_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-top: 1px solid #ccc; padding-top: 1rem; }
code, pre { font: 13px/1.4 ui-monospace, monospace; background: #f4f4f4; }
pre { padding: .75rem; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; }
th { background: #eee; } tr + tr td { border-top: 1px solid #e4e4e4; }
.method { font-weight: bold; text-transform: uppercase; }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _inline(text: str) -> str:
    """`code` and **bold**: all the inline markup the descriptions use."""
    parts = _e(text.replace("\n", " ")).split("`")
    coded = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    bold = coded.split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(bold))


def _markdown_ish(text: str) -> str:
    return "\n".join(f"<p>{_inline(paragraph)}</p>" for paragraph in text.split("\n\n"))


def _type(schema: dict[str, Any], components: dict[str, Any]) -> str:
    if "$ref" in schema:
        return _type(components.get(schema["$ref"].rsplit("/", 1)[-1], {}), components)
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_type(s, components) for s in schema["anyOf"] if s.get("type") != "null")
    kind = str(schema.get("type", "any"))
    if "format" in schema:
        kind += f" ({schema['format']})"
    limits = [f"{name} {schema[key]}" for key, name in (("minimum", "≥"), ("maximum", "≤")) if key in schema]
    return kind + (", " + ", ".join(limits) if limits else "")


def _example(parameter: dict[str, Any]) -> Any:
    examples = parameter.get("examples") or {}
    for example in examples.values():
        if "value" in example:
            return example["value"]
    return parameter.get("schema", {}).get("default")


def render_docs(schema: dict[str, Any]) -> str:
    components = schema.get("components", {}).get("schemas", {})
    body = [f"<h1>{_e(schema['info']['title'])} <small>{_e(schema['info']['version'])}</small></h1>"]
    body.append(_markdown_ish(schema["info"].get("description", "")))
    body.append('<p>The machine-readable schema: <a href="openapi.json"><code>openapi.json</code></a>.</p>')
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            body.append(f'<h2><span class="method">{_e(method)}</span> <code>{_e(path)}</code></h2>')
            body.append(f"<p><strong>{_e(operation.get('summary', ''))}</strong></p>")
            body.append(_markdown_ish(operation.get("description", "")))
            parameters = operation.get("parameters", [])
            if parameters:
                body.append("<table><tr><th>parameter</th><th>type</th><th>example</th><th>meaning</th></tr>")
                for p in parameters:
                    required = " (required)" if p.get("required") else ""
                    example = _example(p)
                    kind = _type(p.get("schema", {}), components)
                    body.append(
                        f"<tr><td><code>{_e(p['name'])}</code>{required}</td><td>{_e(kind)}</td>"
                        f"<td>{'' if example is None else f'<code>{_e(example)}</code>'}</td>"
                        f"<td>{_inline(p.get('description', ''))}</td></tr>"
                    )
                body.append("</table>")
                query = {p["name"]: _example(p) for p in parameters if p.get("required") and _example(p) is not None}
                body.append("<p>Example request:</p>")
                body.append(
                    f"<pre>curl -H 'Authorization: Bearer sck_...' "
                    f"'https://hub.example{_e(path)}?{_e(urlencode(query))}'</pre>"
                )
            for status, response in operation.get("responses", {}).items():
                body.append(f"<h3>{_e(status)}: {_e(response.get('description', ''))}</h3>")
                for media, content in response.get("content", {}).items():
                    if "example" in content:
                        shown = content["example"]
                        text = shown if isinstance(shown, str) else json.dumps(shown, indent=2, ensure_ascii=False)
                        body.append(f"<p><code>{_e(media)}</code></p><pre>{_e(text)}</pre>")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(schema['info']['title'])}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
