"""The client web view's pages (Portuguese, pt-BR numbers), under /web.

/web/login (form: the client's API key) and /web/logout; /web lists the caller's UCs; per UC:
/web/uc/{uc} home, /web/uc/{uc}/graficos (one local day, CSV/XLSX export through the API's series
code), /web/uc/{uc}/fatura (the cycle in progress and past bills) and
/web/uc/{uc}/memoria-de-massa (the ABNT public-format file of a month). Every page reads through
one connection acting for the session's account, so row-level security filters in the database;
a UC outside the caller's scope is answered 403. Bills (home and fatura) come from the precomputed
UC-month figures (smf.uc_figures, db/queries/web.sql web_bill): no billing function runs per view
while the figures are fresh.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from api.controllers import intervals
from api.deps import RequestDb, is_https, source_of
from api.errors import ApiError
from api.pages import render, session
from api.pages.render import num
from db import driver, errors

HTML = "text/html"  # Litestar appends "; charset=utf-8" to every text/ type
# (pages are Jinja2 templates in api/pages/templates/, autoescaped: api/pages/render.py)
PageDb = NamedDependency[RequestDb]  # the `page_db` dependency (api/pages/session.py)
POSTO = {"ponta": "Ponta", "fora_ponta": "Fora ponta", "unica": "Única", None: ""}
ITEM = {
    "energy": "Energia ativa",
    "demand_measured": "Demanda medida",
    "demand_contracted": "Demanda contratada",
    "demand_billed": "Demanda faturada",
    "overrun": "Ultrapassagem de demanda",
    "ufer": "Energia reativa excedente (UFER)",
    "dmcr": "Demanda reativa (DMCR)",
    "dmcr_excess": "Excedente de demanda reativa",
    "intervals_present": "Intervalos presentes",
    "intervals_expected": "Intervalos esperados",
    "completeness": "Completude dos dados",
    "total": "Total",
}


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    k = d.year * 12 + d.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


async def unit_or_403(db: RequestDb, uc_code: FromPath[str]) -> dict[str, Any]:
    unit = await db.one("web_unit", uc_code=uc_code)
    if unit is None:  # row-level security: not in the caller's scope (or no such UC)
        raise ApiError(403, f"a UC {uc_code} não está no escopo da conta {db.principal.name}")
    return unit


def cycle_month(unit: dict[str, Any]) -> date:
    """The month the pages bill: the local month of the main meter's last interval (today
    without)."""
    tz = ZoneInfo(unit["tz"])
    last: datetime | None = unit["last_ts"]
    return month_start((last.astimezone(tz) if last else datetime.now(tz)).date())


def cycle_title(unit: dict[str, Any], month: date, now: datetime | None = None) -> str:
    """The heading of the billed month: "Fatura parcial de dez/2026 (até 07/12/2026 14:35)"
    while the local month is still running; "Fatura de nov/2026 (mês encerrado)" once it is
    over, however complete its data (a month over is no longer partial)."""
    tz = ZoneInfo(unit["tz"])
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    label = render.month_label(month)
    if month < month_start(today):
        return f"Fatura de {label} (mês encerrado)"
    last: datetime | None = unit["last_ts"]
    if last is None:
        return f"Fatura parcial de {label}"
    return f"Fatura parcial de {label} (até {render.when(last.astimezone(tz))})"


async def try_rows(db: RequestDb, name: str, **params: Any) -> tuple[list[dict[str, Any]], str]:
    """Rows of a billing query, or no rows and the reason (SMF04: no data or no posto schedule),
    inside a savepoint so the page's transaction goes on."""
    try:
        async with db.conn.transaction():
            return await db.rows(name, **params), ""
    except (errors.NotFound, errors.InvalidParameter) as exc:
        return [], str(exc)


def pick(rows: list[dict[str, Any]], item: str, posto: str | None = None) -> Decimal | None:
    for r in rows:
        if r["item"] == item and (posto is None or r["posto"] == posto):
            q: Decimal | None = r["amount"] if item == "total" else r["quantity"]
            return q
    return None


# --- login ---------------------------------------------------------------------------------


def page(
    request: Request[Any, Any, Any],
    name: str,
    *,
    status: int = 200,
    title: str,
    uc_code: str | None = None,
    logged_in: bool = True,
    **context: Any,
) -> Template:
    """A page rendered from api/pages/templates/`name` (autoescaped). Every page carries the
    CSRF token of the request (api/pages/__init__.py), which its forms post back."""
    csrf = session.csrf_token(request)
    return Template(
        template_name=name,
        context={
            "title": title,
            "uc_code": uc_code,
            "logged_in": logged_in,
            "csrf": csrf,
            **context,
        },
        media_type=HTML,
        status_code=status,
    )


@get("/web/login", include_in_schema=False)
async def login_form(request: Request[Any, Any, Any]) -> Template:
    return page(request, "login.html.j2", title="Entrar", logged_in=False, error=None)


@post("/web/login", include_in_schema=False, status_code=303)
async def login(
    request: Request[Any, Any, Any],
    state: State,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    token = (data.get("key") or "").strip()

    def refused(msg: str, status: int) -> Template:
        return page(
            request, "login.html.j2", status=status, title="Entrar", logged_in=False, error=msg
        )

    try:
        principal = await session.check_key(state, token, source_of(request))
    except ApiError as exc:
        msg = "Chave inválida ou revogada." if exc.status_code == 401 else str(exc.detail)
        return refused(msg, exc.status_code)
    if principal.role != "client":
        return refused("Esta página é para contas de cliente.", 403)
    try:
        cookie = await session.open_session(state, token)
    except errors.NotFound:  # revoked between the check and now
        return refused("Chave inválida ou revogada.", 401)
    response: Response[Any] = Redirect("/web", status_code=303)
    response.set_cookie(
        session.COOKIE,
        cookie,
        path="/web",
        httponly=True,
        samesite="lax",
        max_age=session.SESSION_TTL_S,
        secure=state.config.secure_cookies or is_https(request),
    )
    return response


@post("/web/logout", include_in_schema=False, status_code=303)
async def logout(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    await session.close_session(state, request.cookies.get(session.COOKIE))
    response: Response[Any] = Redirect("/web/login", status_code=303)
    response.delete_cookie(session.COOKIE, path="/web")
    return response


# --- pages ---------------------------------------------------------------------------------


@get("/web", include_in_schema=False)
async def units(request: Request[Any, Any, Any], page_db: PageDb) -> Response[Any]:
    rows = await page_db.rows("web_units")
    if len(rows) == 1:
        return Redirect(f"/web/uc/{quote(rows[0]['uc_code'])}", status_code=303)
    return page(request, "units.html.j2", title="Unidades consumidoras", units=rows)


def _float(v: Decimal | float | None) -> float | None:
    return None if v is None else float(v)


@get("/web/uc/{uc_code:str}", include_in_schema=False)
async def home(
    request: Request[Any, Any, Any], page_db: PageDb, uc_code: FromPath[str]
) -> Template:
    """One round trip (smf.web_home, db/functions/535_web.sql): the registration, the billed
    month's bill from its precomputed figures, the last 24 h of demand and the past bills."""
    db = page_db
    u = await db.one("web_home", uc_code=uc_code)
    if u is None:  # row-level security: not in the caller's scope (or no such UC)
        raise ApiError(403, f"a UC {uc_code} não está no escopo da conta {db.principal.name}")
    month: date = u["month"]
    bill: list[dict[str, Any]] = u["bill"] or []
    partial = (
        [
            {
                "posto": p,
                "label": POSTO[p],
                "energy": pick(bill, "energy", p),
                "demand": pick(bill, "demand_measured", p),
            }
            for p in ("ponta", "fora_ponta")
        ]
        if bill
        else []
    )
    charts: list[render.Chart] = []
    if u["last_ts"]:
        charts.append(
            render.chart(
                "Demanda nas últimas 24 h",
                [t.strftime("%H:%M") for t in u["demand_ts"] or ()],
                [("Demanda", "#1d4e89", [_float(v) for v in u["demand_kw"] or ()])],
                "kW",
                kind="line",
            )
        )
    months: list[date] = u["history_months"] or []
    billing: list[list[dict[str, Any]]] = u["history_billing"] or []
    labels = [render.month_label(m) for m in months]

    def col(item: str, posto: str) -> list[float | None]:
        return [_float(pick(rows or [], item, posto)) for rows in billing]

    if months:
        charts.append(
            render.chart(
                "Energia por fatura",
                labels,
                [
                    ("Ponta", "#c0392b", col("energy", "ponta")),
                    ("Fora ponta", "#2e86c1", col("energy", "fora_ponta")),
                ],
                "kWh",
            )
        )
        charts.append(
            render.chart(
                "Demanda medida por fatura",
                labels,
                [
                    ("Ponta", "#c0392b", col("demand_measured", "ponta")),
                    ("Fora ponta", "#2e86c1", col("demand_measured", "fora_ponta")),
                ],
                "kW",
            )
        )
    tz = ZoneInfo(u["tz"])
    return page(
        request,
        "home.html.j2",
        title=f"UC {uc_code}",
        uc_code=uc_code,
        u=u,
        model=" ".join(x for x in (u["meter_manufacturer"], u["meter_model"]) if x),
        last_local=u["last_ts"].astimezone(tz) if u["last_ts"] else None,
        cycle_title=cycle_title(u, month),
        partial=partial,
        why=u["bill_why"] or "",
        charts=charts,
    )


@get("/web/uc/{uc_code:str}/fatura", include_in_schema=False)
async def bill(
    request: Request[Any, Any, Any], page_db: PageDb, uc_code: FromPath[str]
) -> Template:
    db = page_db
    u = await unit_or_403(db, uc_code)
    month = cycle_month(u)
    rows, why = await try_rows(db, "web_bill", uc_code=uc_code, month=month)
    quality, _ = await try_rows(db, "web_bill_quality", uc_code=uc_code, month=month)
    lines = []
    for r in rows:
        dec = 0 if r["unit"] == "intervals" else 2
        unit = "intervalos" if r["unit"] == "intervals" else r["unit"]
        lines.append(
            {
                "item": ITEM.get(r["item"], r["item"]),
                "posto": POSTO.get(r["posto"], r["posto"]),
                "quantity": "" if r["item"] == "total" else f"{num(r['quantity'], dec)} {unit}",
                "price": render.tariff(r["price"]),
                "amount": r["amount"],
                "rid": f"sim-{r['item']}" + (f"-{r['posto']}" if r["posto"] else ""),
            }
        )
    hist, history_why = await try_rows(
        db,
        "web_bill_history",
        uc_code=uc_code,
        meter_id=u["meter_id"],
        since=add_months(month, -11),
        until=month,
    )
    history = []
    for m in sorted({r["month"] for r in hist}, reverse=True):
        mr = [r for r in hist if r["month"] == m]
        history.append(
            {
                "month": m,
                "key": f"{m:%Y-%m}",
                "energy_ponta": pick(mr, "energy", "ponta"),
                "energy_fora_ponta": pick(mr, "energy", "fora_ponta"),
                "demand_ponta": pick(mr, "demand_billed", "ponta"),
                "demand_fora_ponta": pick(mr, "demand_billed", "fora_ponta"),
                "total": pick(mr, "total"),
            }
        )
    return page(
        request,
        "bill.html.j2",
        title=f"Fatura · UC {uc_code}",
        uc_code=uc_code,
        cycle_title=cycle_title(u, month),
        month=month,
        month_key=f"{month:%Y-%m}",
        lines=lines,
        why=why,
        quality=quality_note(quality),
        history=history,
        history_why=history_why,
    )


def quality_note(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The bill's data-quality flags (smf.billing_data_quality) in words for the page, or None
    when the month rests on complete data without open findings: the days below the threshold
    (DD/MM), the days under open validation findings, the month's completeness."""
    month = next((r for r in rows if r["day"] is None), None)
    days = [r for r in rows if r["day"] is not None]
    low = [f"{r['day']:%d/%m}" for r in days if r["below_threshold"]]
    open_ = [f"{r['day']:%d/%m}" for r in days if r["open_findings"]]
    if not low and not open_ and not (month and month["below_threshold"]):
        return None
    return {
        "threshold": month["threshold_pct"] if month else None,
        "completeness": month["completeness_pct"] if month else None,
        "low": ", ".join(low),
        "open": ", ".join(open_),
    }


def _day(u: dict[str, Any], dia: str | None) -> tuple[date, datetime, datetime]:
    """The local day asked (default: the day of the last interval) and its [start, end)."""
    tz = ZoneInfo(u["tz"])
    if dia:
        try:
            if len(dia) == 10 and dia[2] == "/" and dia[5] == "/":  # pt-BR: DD/MM/AAAA
                d = date(int(dia[6:]), int(dia[3:5]), int(dia[:2]))
            else:
                d = date.fromisoformat(dia)
        except ValueError:
            msg = f"dia: {dia[:20]!r} não é uma data DD/MM/AAAA (nem AAAA-MM-DD)"
            raise ApiError(422, msg, field="dia") from None
        if not FIRST_DAY <= d <= LAST_DAY:
            raise ApiError(
                422,
                f"dia: {d:%d/%m/%Y} fora do intervalo {FIRST_DAY:%d/%m/%Y} a {LAST_DAY:%d/%m/%Y}",
                field="dia",
            )
    else:
        last: datetime | None = u["last_ts"]
        d = (last.astimezone(tz) if last else datetime.now(tz)).date()
    lo = datetime.combine(d, datetime.min.time(), tz)
    hi = datetime.combine(d + timedelta(days=1), datetime.min.time(), tz)
    return d, lo, hi


FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2099, 12, 31)  # the days a page may show
PF_REFERENCE = 0.92  # the reference power factor (ANEEL, PRODIST módulo 8): the charts' line


def axis(lo: datetime, hi: datetime, step: timedelta) -> list[datetime]:
    """The UTC starts of every step in [lo, hi) (a local day: DST changes give 23 or 25 h)."""
    out, t = [], lo.astimezone(UTC)
    while t < hi:
        out.append(t)
        t += step
    return out


EXPORT_CHANNELS = (
    "active_fwd,active_rev,reactive_ind_fwd,reactive_ind_rev,reactive_cap_fwd,reactive_cap_rev"
)


@get("/web/uc/{uc_code:str}/graficos", include_in_schema=False)
async def graphs(
    request: Request[Any, Any, Any],
    page_db: PageDb,
    uc_code: FromPath[str],
    dia: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Template:
    db = page_db
    u = await unit_or_403(db, uc_code)
    d, lo, hi = _day(u, dia)
    names, raw = await driver.arun_tuples(
        db.conn,
        "api_series",
        meter_id=u["meter_id"],
        lo=lo,
        hi=hi,
        resolution="15m",
        tz=u["tz"],
        pulses=False,
    )
    ix = {n: i for i, n in enumerate(names)}
    tz = ZoneInfo(u["tz"])
    # every quarter hour of the local day on the axis (92, 96 or 100 with a DST change): a
    # quarter without data is a gap in the charts, never bridged nor dropped
    quarters = axis(lo, hi, timedelta(minutes=15))
    by_start = {r[ix["bucket_start"]]: r for r in raw}
    labels = [q.astimezone(tz).strftime("%H:%M") for q in quarters]

    def values(col: str, factor: float = 1.0) -> list[float | None]:
        out: list[float | None] = []
        for q in quarters:
            r = by_start.get(q)
            out.append(None if r is None or r[ix[col]] is None else float(r[ix[col]]) * factor)
        return out

    fwd, rev = values("active_fwd"), values("active_rev")
    charts = [
        render.chart(
            "Consumo (15 min)",
            labels,
            [("Direto", "#1d4e89", fwd), ("Reverso", "#e67e22", rev)],
            "kWh",
        ),
        render.chart(
            "Demanda (15 min)",
            labels,
            [
                ("Direta", "#1d4e89", values("active_fwd", 4.0)),
                ("Reversa", "#e67e22", values("active_rev", 4.0)),
            ],
            "kW",
            kind="line",
        ),
    ]
    rows, _why = await try_rows(db, "web_reactive", uc_code=uc_code, month=month_start(d))
    by_hour = {h["hour"]: h for h in rows if lo <= h["hour"] < hi}
    hours = axis(lo, hi, timedelta(hours=1))
    hl = [h.astimezone(tz).strftime("%H:%M") for h in hours]

    def hourly(col: str) -> list[float | None]:
        return [_float(by_hour[h][col]) if h in by_hour else None for h in hours]

    charts.append(
        render.chart(
            "Fator de potência (horário)",
            hl,
            [("FP", "#27ae60", hourly("power_factor"))],
            "",
            kind="line",
            refs=[(PF_REFERENCE, f"referência {num(PF_REFERENCE)}")],
        )
    )
    charts.append(
        render.chart(
            "Energia reativa excedente (UFER, horária)",
            hl,
            [("UFER", "#8e44ad", hourly("ufer_kwh"))],
            "kWh",
        )
    )
    return page(
        request,
        "graphs.html.j2",
        title=f"Gráficos · UC {uc_code} · {d:%d/%m/%Y}",
        uc_code=uc_code,
        day_iso=d.isoformat(),
        day_br=f"{d:%d/%m/%Y}",
        total_fwd=sum(v for v in fwd if v is not None),
        total_rev=sum(v for v in rev if v is not None),
        charts=charts,
    )


@get("/web/uc/{uc_code:str}/exportar", include_in_schema=False)
async def export(
    page_db: PageDb,
    state: State,
    uc_code: FromPath[str],
    formato: FromQuery[Literal["csv", "xlsx"]] = "csv",
    dia: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Response[Any]:
    """The day's 15-minute energy channels as CSV or XLSX, by the API's series code."""
    u = await unit_or_403(page_db, uc_code)
    _d, lo, hi = _day(u, dia)
    meter = {"id": u["meter_id"], "serial": u["meter_serial"]}
    return await intervals._serve(
        page_db,
        state,
        meter,
        uc_code,
        lo.isoformat(),
        hi.isoformat(),
        "15m",
        EXPORT_CHANNELS,
        "engineering",
        u["tz"],
        formato,
        None,
    )


@get("/web/uc/{uc_code:str}/memoria-de-massa", include_in_schema=False)
async def mass_memory(
    page_db: PageDb,
    state: State,
    uc_code: FromPath[str],
    mes: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{4}-[0-9]{2}$")] = None,
) -> Response[Any]:
    """The main meter's month in the ABNT public format (the API's abnt export)."""
    u = await unit_or_403(page_db, uc_code)
    meter = {"id": u["meter_id"], "serial": u["meter_serial"]}
    return await intervals._serve(
        page_db, state, meter, uc_code, "", "", "15m", None, "engineering", u["tz"], "abnt", mes
    )
