"""The client web view (issue 12 §4): server-rendered pages under /web, served by the API app.

`router` carries the pages, their `page_db` dependency (api/pages/session.py: the session's
account, row-level security in the database) and their error pages: no session redirects to the
login form; an API error (403 outside the scope, 422 bad parameter) is an HTML page with its status.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect

from api import errors as api_errors
from api.pages import render, session, views

_TITLE = {403: "Acesso negado", 404: "Não encontrado", 422: "Pedido inválido", 429: "Aguarde"}


def _error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, session.LoginRequired):
        return Redirect("/web/login", status_code=303)
    if isinstance(exc, HTTPException) and not isinstance(exc, ValidationException):
        status, detail = exc.status_code, str(exc.detail)
    else:
        problem = api_errors.handle(request, exc)  # 422 validation, domain errors; logs the rest
        status, detail = problem.status_code or 500, str(problem.content.get("detail", ""))
    title = _TITLE.get(status, "Erro")
    body = f'<p class="err" id="erro">{render.e(detail)}</p><p><a href="/web">Voltar</a></p>'
    return Response(render.page(title, body), media_type=views.HTML, status_code=status)


router = Router(
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
    ],
    dependencies={"page_db": Provide(session.provide_page_db)},
    exception_handlers={Exception: _error_page},
    include_in_schema=False,
)
