"""The chat page `loco serve` opens on: plain HTML, CSS and JavaScript modules served from the package.

No build step, no framework, nothing fetched from elsewhere: the page works offline. Only the files
listed in FILES are served (a name is looked up, never joined to a path), each with a
Content-Security-Policy that allows same-origin scripts, styles and requests only, so model output
that reached the DOM as HTML could still run nothing (the page never writes it as HTML anyway).
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "markdown.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def page_file(name: str) -> Response:
    body = resources.files(__package__).joinpath(name).read_bytes()
    return Response(body, media_type=FILES[name], headers=HEADERS)


def web_routes() -> APIRouter:
    routes = APIRouter()

    @routes.get("/", include_in_schema=False)
    async def index() -> Response:
        return page_file("index.html")

    @routes.get("/web/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        if name not in FILES:
            from loco_mlx.serve.errors import ApiError

            raise ApiError(404, f"no page file {name!r}", code="not_found")
        return page_file(name)

    return routes
