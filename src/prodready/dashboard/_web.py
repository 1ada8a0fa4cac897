"""Rendering: the Jinja2 environment, the navigation, and the page answer every route gives.

Templates live in ``templates/`` and extend ``base.html``; autoescaping is on for all of them,
so a value from a span is always text. Nothing in a template may use ``|safe`` on data that
came from outside (the only markup built in Python is the SVG of ``_charts.py``, whose
every value is escaped there).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final
from urllib.parse import quote

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from prodready.dashboard._scope import SCOPE_COOKIE, Scope, read_scope
from prodready.dashboard._security import CSRF_COOKIE, CSRF_FIELD, csrf_token
from prodready.store import Facets, Store

THEME_COOKIE: Final = "prodready_theme"
THEMES: Final = ("auto", "light", "dark")


@dataclass(frozen=True)
class Page:
    """A page in the navigation: ``g`` then ``key`` goes there from anywhere."""

    id: str
    title: str
    path: str
    key: str
    order: int


NAV: list[Page] = []
"""The navigation, in order; a page module adds its entry with :func:`register`."""


def register(page: Page) -> Page:
    """Add a page to the navigation (once; ordered by ``page.order``)."""
    if any(p.id == page.id for p in NAV):
        raise ValueError(f"a dashboard page {page.id!r} is already registered")
    taken = {p.key: p for p in NAV}
    if page.key in taken:
        raise ValueError(f"shortcut g {page.key} is taken by {taken[page.key].title!r}")
    NAV.append(page)
    NAV.sort(key=lambda p: p.order)
    return page


def _version() -> str:
    try:
        return version("prodready")
    except PackageNotFoundError:
        return "0"


ASSET_VERSION: Final = _version()


def fmt_time(ns: int | None) -> str:
    """A UTC time to the second, as lists show it."""
    if ns is None:
        return ""
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso_time(ns: int | None) -> str:
    if ns is None:
        return ""
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="milliseconds")


def fmt_duration(ns: float | None) -> str:
    """A duration with a unit fit for its size: 850 µs, 12.3 ms, 4.56 s, 3 m 05 s."""
    if ns is None or (isinstance(ns, float) and math.isnan(ns)):
        return ""
    ns = float(ns)
    if ns < 1_000_000:
        return f"{ns / 1000:.0f} µs"
    if ns < 1_000_000_000:
        ms = ns / 1e6
        return f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"
    s = ns / 1e9
    if s < 60:
        return f"{s:.2f} s"
    return f"{int(s // 60)} m {int(s % 60):02d} s"


def fmt_interval(ns: int) -> str:
    """A bucket width in words: 1 min, 30 min, 2 h, 1 day."""
    minutes = ns // 60_000_000_000
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 1440:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} day" + ("s" if minutes >= 2880 else "")


def fmt_ms(ms: float | None) -> str:
    return "" if ms is None else fmt_duration(ms * 1e6)


def fmt_number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return ""
    if digits == 0:
        if value != int(value) and abs(value) < 10:
            return f"{value:.1f}"
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def fmt_percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def fmt_usd(value: float | None) -> str:
    if value is None:
        return ""
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def pretty_json(value: Any) -> str:
    """A value as indented JSON text (escaped when rendered, like any text)."""
    if isinstance(value, str):
        original: str = value
        try:
            value = orjson.loads(original)
        except orjson.JSONDecodeError:
            return original
    try:
        text: str = orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode()
        return text
    except TypeError:
        return repr(value)


def path_part(value: str) -> str:
    """A value quoted to be one path segment (``/`` included, unlike ``urlencode``)."""
    return quote(value, safe="")


def short_id(value: str | None, n: int = 8) -> str:
    return "" if not value else value[:n]


environment = Environment(
    loader=PackageLoader("prodready.dashboard", "templates"),
    autoescape=select_autoescape(["html", "svg"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(
    time=fmt_time,
    isotime=iso_time,
    duration=fmt_duration,
    interval=fmt_interval,
    ms=fmt_ms,
    number=fmt_number,
    percent=fmt_percent,
    usd=fmt_usd,
    pretty=pretty_json,
    short=short_id,
    pathpart=path_part,
)


def facets_of(request: Request, scope: Scope) -> Facets:
    """Releases and environments seen in the scope's window (for the filter fields)."""
    return store_of(request).facets(scope.since_ns, scope.until_ns)


def store_of(request: Request) -> Store:
    """The app's store, which every page reads."""
    store: Store = request.app.state.store
    return store


def theme_of(request: Request) -> str:
    theme = request.cookies.get(THEME_COOKIE, "auto")
    return theme if theme in THEMES else "auto"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    scope: Scope | None = None,
    status_code: int = 200,
    page: str | None = None,
) -> HTMLResponse:
    """Render a page of the frame: the template with the navigation, scope and CSRF token."""
    scope = scope if scope is not None else read_scope(request)
    token = csrf_token(request)
    body = environment.get_template(template).render(
        {
            "request": request,
            "nav": NAV,
            "active": page,
            "scope": scope,
            "ranges": ("15m", "1h", "6h", "24h", "7d", "30d"),
            "csrf_field": CSRF_FIELD,
            "csrf_token": token,
            "theme": theme_of(request),
            "asset_version": ASSET_VERSION,
            "facets": facets_of(request, scope),
            **(context or {}),
        }
    )
    response = HTMLResponse(body, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    secure = request.url.scheme == "https"
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", path="/", secure=secure
        )
    stored = scope.query()
    if request.cookies.get(SCOPE_COOKIE) != stored:
        response.set_cookie(
            SCOPE_COOKIE, stored, samesite="lax", path="/", max_age=30 * 86400, secure=secure
        )
    return response
