"""The client web view (issue 12 §4): server-rendered pages under /web, served by the API app.

`router` carries the pages, their `page_db` dependency (api/pages/session.py: the session's
account, row-level security in the database), the CSRF check of every form post (a token derived
from the request's session cookie, or before login the `smf_csrf` cookie's value, in each form's
hidden `_csrf_token` field: api/pages/session.py CsrfMiddleware; a post from another site has
neither, and every worker of `smf serve` derives the same token) and the error pages: no session
redirects to the login form; an API error (403 outside the scope, 422 bad parameter) is an HTML
page with its status.
Pages are Jinja2 templates (api/pages/templates/) with autoescaping (api/pages/render.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.middleware import DefineMiddleware
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from api import errors as api_errors
from api.pages import render, session, views
from api.pages.render import environment

_TITLE = {403: "Acesso negado", 404: "Não encontrado", 422: "Pedido inválido", 429: "Aguarde"}
CSRF_COOKIE = session.CSRF_COOKIE


def _error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, session.LoginRequired):
        return Redirect("/web/login", status_code=303)
    if isinstance(exc, HTTPException) and not isinstance(exc, ValidationException):
        status, detail = exc.status_code, str(exc.detail)
    else:
        problem = api_errors.handle(request, exc)  # 422 validation, domain errors; logs the rest
        status, detail = problem.status_code or 500, str(problem.content.get("detail", ""))
    return views.page(
        request, "error.html.j2", status=status, title=_TITLE.get(status, "Erro"), detail=detail
    )


def template_config() -> TemplateConfig[Any]:
    """The app's template engine: Jinja2 over api/pages/templates/, autoescaping on."""
    from litestar.plugins.jinja import JinjaTemplateEngine

    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


def router(*, secure_cookies: bool = False) -> Router:
    """The /web router; `secure_cookies` marks its cookies Secure (served over TLS)."""
    return Router(
        path="/",
        route_handlers=[
            views.login_form,
            views.login,
            views.logout,
            views.units,
            views.home,
            views.bill,
            views.graphs,
            views.export,
            views.mass_memory,
            create_static_files_router(
                path="/web/static", directories=[render.STATIC], include_in_schema=False
            ),
        ],
        dependencies={"page_db": Provide(session.provide_page_db)},
        exception_handlers={Exception: _error_page},
        middleware=[
            DefineMiddleware(
                session.CsrfMiddleware, secure_cookies=secure_cookies, refuse=_error_page
            )
        ],
        include_in_schema=False,
    )
