"""The client web view's pages (Portuguese, pt-BR numbers), under /web.

/web/login (form: the client's API key) and /web/logout; /web lists the caller's UCs; per UC:
/web/uc/{uc} home, /web/uc/{uc}/graficos (one local day, CSV/XLSX export through the API's series
code), /web/uc/{uc}/fatura (the cycle in progress and past bills from smf.billing_summary) and
/web/uc/{uc}/memoria-de-massa (the ABNT public-format file of a month). Every page reads through
one connection acting for the session's account, so row-level security filters in the database;
a UC outside the caller's scope is answered 403.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect

from api.controllers import intervals
from api.deps import RequestDb, source_of
from api.errors import ApiError
from api.pages import render, session
from api.pages.render import e, num
from db import driver, errors

HTML = "text/html"  # Litestar appends "; charset=utf-8" to every text/ type
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


def html(body: str, status: int = 200) -> Response[str]:
    return Response(body, media_type=HTML, status_code=status)


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
    """The cycle in progress: the local month of the main meter's last interval (today without)."""
    tz = ZoneInfo(unit["tz"])
    last: datetime | None = unit["last_ts"]
    return month_start((last.astimezone(tz) if last else datetime.now(tz)).date())


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

_LOGIN = """<p>Entre com a chave de API da sua conta de cliente
(<code>smf user key NOME</code>).</p>
<form method="post" action="/web/login"><label>Chave de API
<input type="password" name="key" id="key" size="60" autocomplete="off" required></label>
<button type="submit" id="entrar">Entrar</button></form>"""


@get("/web/login", include_in_schema=False)
async def login_form() -> Response[str]:
    return html(render.page("Entrar", _LOGIN, logged_in=False))


@post("/web/login", include_in_schema=False, status_code=303)
async def login(
    request: Request[Any, Any, Any],
    state: State,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    token = (data.get("key") or "").strip()
    try:
        principal = await session.check_key(state, token, source_of(request))
    except ApiError as exc:
        msg = "Chave inválida ou revogada." if exc.status_code == 401 else str(exc.detail)
        body = f'<p class="err" id="erro">{e(msg)}</p>' + _LOGIN
        return html(render.page("Entrar", body, logged_in=False), exc.status_code)
    if principal.role != "client":
        body = '<p class="err" id="erro">Esta página é para contas de cliente.</p>' + _LOGIN
        return html(render.page("Entrar", body, logged_in=False), 403)
    response: Response[Any] = Redirect("/web", status_code=303)
    response.set_cookie(
        session.COOKIE,
        session.open_session(token),
        path="/web",
        httponly=True,
        samesite="lax",
        max_age=session.SESSION_TTL_S,
    )
    return response


@post("/web/logout", include_in_schema=False, status_code=303)
async def logout(request: Request[Any, Any, Any]) -> Response[Any]:
    session.close_session(request.cookies.get(session.COOKIE))
    response: Response[Any] = Redirect("/web/login", status_code=303)
    response.delete_cookie(session.COOKIE, path="/web")
    return response


# --- pages ---------------------------------------------------------------------------------


@get("/web", include_in_schema=False)
async def units(page_db: PageDb) -> Response[Any]:
    rows = await page_db.rows("web_units")
    if len(rows) == 1:
        return Redirect(f"/web/uc/{rows[0]['uc_code']}", status_code=303)
    items = "".join(
        f'<li><a href="/web/uc/{e(r["uc_code"])}">{e(r["uc_code"])}</a> '
        f"{e(r['customer_name'])}</li>"
        for r in rows
    )
    return html(
        render.page("Unidades consumidoras", f"<ul>{items}</ul>" if rows else "<p>Nenhuma.</p>")
    )


@get("/web/uc/{uc_code:str}", include_in_schema=False)
async def home(page_db: PageDb, uc_code: FromPath[str]) -> Response[str]:
    db = page_db
    u = await unit_or_403(db, uc_code)
    month = cycle_month(u)
    ident = render.table(
        ["Dado", "Valor"],
        [
            ["Cliente", f'<span id="cliente">{e(u["customer_name"])}</span>'],
            ["Distribuidora", f"{e(u['distributor_name'])} ({e(u['distributor_aneel_code'])})"],
            [
                "Grupo / modalidade",
                f'{e(u["tariff_group"])} / <span id="modalidade">{e(u["modality"])}</span>',
            ],
            ["Medidor (série)", f'<span id="medidor">{e(u["meter_serial"])}</span>'],
            ["Modelo", e(" ".join(x for x in (u["meter_manufacturer"], u["meter_model"]) if x))],
            [
                "Demanda contratada ponta (kW)",
                f'<span id="contratada-ponta">{num(u["contracted_demand_ponta_kw"])}</span>',
            ],
            [
                "Demanda contratada fora ponta (kW)",
                '<span id="contratada-fora-ponta">'
                f"{num(u['contracted_demand_fora_ponta_kw'])}</span>",
            ],
            [
                "Última leitura",
                render.when(u["last_ts"].astimezone(ZoneInfo(u["tz"]))) if u["last_ts"] else "—",
            ],
        ],
        numeric_from=2,
        id_="identificacao",
    )
    bill, why = await try_rows(db, "web_bill", uc_code=uc_code, month=month)
    partial = f"<h2>Fatura parcial de {render.month_label(month)}</h2>"
    if bill:
        partial += render.table(
            ["Posto", "Consumo (kWh)", "Demanda medida (kW)"],
            [
                [
                    POSTO[p],
                    f'<span id="consumo-{p}">{num(pick(bill, "energy", p))}</span>',
                    f'<span id="demanda-{p}">{num(pick(bill, "demand_measured", p))}</span>',
                ]
                for p in ("ponta", "fora_ponta")
            ],
            id_="parcial",
        )
    else:
        partial += f'<p class="err">Sem dados para o ciclo: {e(why)}</p>'
    charts = ""
    if u["last_ts"]:
        hi = u["last_ts"] + timedelta(minutes=15)
        dem = await db.rows("web_demand", uc_code=uc_code, lo=hi - timedelta(hours=24), hi=hi)
        charts += render.chart(
            "Demanda nas últimas 24 h",
            [r["local_ts"].strftime("%H:%M") for r in dem],
            [
                (
                    "Demanda",
                    "#1d4e89",
                    [None if r["demand_kw"] is None else float(r["demand_kw"]) for r in dem],
                )
            ],
            "kW",
            kind="line",
        )
    hist, _ = await try_rows(
        db,
        "web_bill_history",
        uc_code=uc_code,
        meter_id=u["meter_id"],
        since=add_months(month, -11),
        until=add_months(month, 1),
    )
    months = sorted({r["month"] for r in hist})
    labels = [render.month_label(m) for m in months]

    def col(item: str, posto: str) -> list[float | None]:
        out: list[float | None] = []
        for m in months:
            v = pick([r for r in hist if r["month"] == m], item, posto)
            out.append(None if v is None else float(v))
        return out

    if months:
        charts += render.chart(
            "Energia por fatura",
            labels,
            [
                ("Ponta", "#c0392b", col("energy", "ponta")),
                ("Fora ponta", "#2e86c1", col("energy", "fora_ponta")),
            ],
            "kWh",
        )
        charts += render.chart(
            "Demanda medida por fatura",
            labels,
            [
                ("Ponta", "#c0392b", col("demand_measured", "ponta")),
                ("Fora ponta", "#2e86c1", col("demand_measured", "fora_ponta")),
            ],
            "kW",
        )
    body = ident + partial + "<h2>Gráficos</h2>" + charts
    return html(render.page(f"UC {uc_code}", body, uc_code))


@get("/web/uc/{uc_code:str}/fatura", include_in_schema=False)
async def bill(page_db: PageDb, uc_code: FromPath[str]) -> Response[str]:
    db = page_db
    u = await unit_or_403(db, uc_code)
    month = cycle_month(u)
    rows, why = await try_rows(db, "web_bill", uc_code=uc_code, month=month)
    body = f"<h2>Simulação da fatura do ciclo em curso: {render.month_label(month)}</h2>"
    if rows:
        lines = []
        for r in rows:
            rid = f"sim-{r['item']}" + (f"-{r['posto']}" if r["posto"] else "")
            dec = 0 if r["unit"] == "intervals" else 2
            unit = "intervalos" if r["unit"] == "intervals" else r["unit"]
            qty = "" if r["item"] == "total" else f"{num(r['quantity'], dec)} {e(unit)}"
            lines.append(
                [
                    e(ITEM.get(r["item"], r["item"])),
                    e(POSTO.get(r["posto"], r["posto"])),
                    qty,
                    num(r["price"], 6) if r["price"] is not None else "",
                    f'<span id="{e(rid)}">{num(r["amount"])}</span>'
                    if r["amount"] is not None
                    else "",
                ]
            )
        body += render.table(
            ["Item", "Posto", "Quantidade", "Tarifa (R$)", "Valor (R$)"],
            lines,
            numeric_from=2,
            id_="simulacao",
        )
    else:
        body += f'<p class="err">Sem dados para o ciclo: {e(why)}</p>'
    hist, why = await try_rows(
        db,
        "web_bill_history",
        uc_code=uc_code,
        meter_id=u["meter_id"],
        since=add_months(month, -11),
        until=month,
    )
    body += "<h2>Faturas anteriores</h2>"
    months = sorted({r["month"] for r in hist}, reverse=True)
    if months:
        lines = []
        for m in months:
            mr = [r for r in hist if r["month"] == m]
            key = f"{m:%Y-%m}"
            lines.append(
                [
                    e(render.month_label(m)),
                    num(pick(mr, "energy", "ponta")),
                    num(pick(mr, "energy", "fora_ponta")),
                    num(pick(mr, "demand_billed", "ponta")),
                    num(pick(mr, "demand_billed", "fora_ponta")),
                    f'<span id="hist-{key}">{num(pick(mr, "total"))}</span>',
                    f'<a href="/web/uc/{e(uc_code)}/memoria-de-massa?mes={key}">ABNT</a>',
                ]
            )
        body += render.table(
            [
                "Mês",
                "Energia ponta (kWh)",
                "Energia fora ponta (kWh)",
                "Demanda faturada ponta (kW)",
                "Demanda faturada fora ponta (kW)",
                "Total (R$)",
                "Memória de massa",
            ],
            lines,
            id_="historico",
        )
    else:
        body += "<p>Nenhuma fatura anterior com leituras." + (f" {e(why)}" if why else "") + "</p>"
    body += (
        f'<p><a id="abnt" href="/web/uc/{e(uc_code)}/memoria-de-massa?mes={month:%Y-%m}">'
        f"Memória de massa de {render.month_label(month)} (formato público ABNT)</a></p>"
    )
    return html(render.page(f"Fatura · UC {uc_code}", body, uc_code))


def _day(u: dict[str, Any], dia: str | None) -> tuple[date, datetime, datetime]:
    """The local day asked (default: the day of the last interval) and its [start, end)."""
    tz = ZoneInfo(u["tz"])
    if dia:
        try:
            d = date.fromisoformat(dia)
        except ValueError:
            raise ApiError(422, f"dia: {dia!r} não é uma data AAAA-MM-DD", field="dia") from None
    else:
        last: datetime | None = u["last_ts"]
        d = (last.astimezone(tz) if last else datetime.now(tz)).date()
    lo = datetime.combine(d, datetime.min.time(), tz)
    hi = datetime.combine(d + timedelta(days=1), datetime.min.time(), tz)
    return d, lo, hi


EXPORT_CHANNELS = (
    "active_fwd,active_rev,reactive_ind_fwd,reactive_ind_rev,reactive_cap_fwd,reactive_cap_rev"
)


@get("/web/uc/{uc_code:str}/graficos", include_in_schema=False)
async def graphs(
    page_db: PageDb, uc_code: FromPath[str], dia: FromQuery[str | None] = None
) -> Response[str]:
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
    labels = [r[ix["bucket_start"]].astimezone(tz).strftime("%H:%M") for r in raw]

    def values(col: str, factor: float = 1.0) -> list[float | None]:
        return [None if r[ix[col]] is None else float(r[ix[col]]) * factor for r in raw]

    fwd, rev = values("active_fwd"), values("active_rev")
    total_fwd = sum(v for v in fwd if v is not None)
    total_rev = sum(v for v in rev if v is not None)
    q = f"dia={d.isoformat()}"
    u_ = e(uc_code)
    body = (
        f'<form method="get"><label>Dia <input type="date" name="dia" value="{d.isoformat()}">'
        '</label> <button type="submit">Ver</button></form>'
        f'<p>Exportar o dia (intervalos de 15 min): <a id="csv" href="/web/uc/{u_}/exportar?'
        f'formato=csv&amp;{q}">CSV</a> · <a id="xlsx" href="/web/uc/{u_}/exportar?formato=xlsx'
        f'&amp;{q}">XLSX</a></p>'
        f'<p>Consumo do dia: direto <span id="consumo-direto">{num(total_fwd)}</span> kWh, '
        f'reverso <span id="consumo-reverso">{num(total_rev)}</span> kWh.</p>'
    )
    body += render.chart(
        "Consumo (15 min)", labels, [("Direto", "#1d4e89", fwd), ("Reverso", "#e67e22", rev)], "kWh"
    )
    body += render.chart(
        "Demanda (15 min)",
        labels,
        [
            ("Direta", "#1d4e89", values("active_fwd", 4.0)),
            ("Reversa", "#e67e22", values("active_rev", 4.0)),
        ],
        "kW",
        kind="line",
    )
    hours, _why = await try_rows(db, "web_reactive", uc_code=uc_code, month=month_start(d))
    hours = [h for h in hours if lo <= h["hour"] < hi]
    hl = [h["local_hour"].strftime("%H:%M") for h in hours]
    body += render.chart(
        "Fator de potência (horário)",
        hl,
        [
            (
                "FP",
                "#27ae60",
                [None if h["power_factor"] is None else float(h["power_factor"]) for h in hours],
            )
        ],
        "",
        kind="line",
    )
    body += render.chart(
        "Energia reativa excedente (UFER, horária)",
        hl,
        [("UFER", "#8e44ad", [float(h["ufer_kwh"] or 0) for h in hours])],
        "kWh",
    )
    return html(render.page(f"Gráficos · UC {uc_code} · {d:%d/%m/%Y}", body, uc_code))


@get("/web/uc/{uc_code:str}/exportar", include_in_schema=False)
async def export(
    page_db: PageDb,
    state: State,
    uc_code: FromPath[str],
    formato: FromQuery[Literal["csv", "xlsx"]] = "csv",
    dia: FromQuery[str | None] = None,
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
    page_db: PageDb, state: State, uc_code: FromPath[str], mes: FromQuery[str | None] = None
) -> Response[Any]:
    """The main meter's month in the ABNT public format (the API's abnt export)."""
    u = await unit_or_403(page_db, uc_code)
    meter = {"id": u["meter_id"], "serial": u["meter_serial"]}
    return await intervals._serve(
        page_db, state, meter, uc_code, "", "", "15m", None, "engineering", u["tz"], "abnt", mes
    )
