"""The client view's HTML helpers (api/pages/render.py and its templates, the date helpers of
api/pages/views.py, the session tokens and CSRF binding of api/pages/session.py and the /web
router's error pages) checked in-process against output written out BY HAND. Pure functions: no
database (tests/web drive the same pages in a browser, test_web_pages.py over the API seed).

The local day a page shows is checked on views._day itself, the one door all day pages share: its
public doors (the graphs and export pages) need a database and do not reach every case (a UC
without readings yet, each malformed date)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from api.errors import ApiError
from api.pages import render, session, views

ENV = render.environment()


def svg(*args: Any, **kw: Any) -> str:
    """The chart's SVG as the pages' template macro writes it."""
    t = ENV.from_string('{% from "macros.html.j2" import chart %}{{ chart(c) }}')
    return t.render(c=render.chart(*args, **kw))


def frame(title: str, body: str, uc_code: str | None = None, logged_in: bool = True) -> str:
    """The page frame (base.html.j2) around the error template's body `body`."""
    return ENV.get_template("error.html.j2").render(
        title=title, uc_code=uc_code, logged_in=logged_in, csrf="tok&1", detail=body
    )


def test_pt_br_numbers_money_dates_and_escaping() -> None:
    # thousands '.', decimals ',', two decimals unless told
    assert render.num(1234.5) == "1.234,50"
    assert render.num(Decimal("0.5")) == "0,50"
    assert render.num(1234567.891, 3) == "1.234.567,891"
    assert render.num(-2, 0) == "-2"
    assert render.num(0) == "0,00"
    assert render.num(None) == "—"
    assert render.money(Decimal("1234.5")) == "R$ 1.234,50"
    assert render.money(0) == "R$ 0,00"
    assert render.money(None) == "—"
    assert render.month_label(date(2024, 1, 31)) == "jan/2024"
    assert render.month_label(date(2023, 12, 1)) == "dez/2023"
    assert render.when(datetime(2024, 3, 1, 7, 5, tzinfo=UTC)) == "01/03/2024 07:05"
    assert render.when(None) == "—"
    # every value reaches the page through an autoescaping template
    out = ENV.from_string("{{ v }}|{{ n|num }}").render(v='<a href="x">&\'', n=1234.5)
    assert out == "&lt;a href=&#34;x&#34;&gt;&amp;&#39;|1.234,50"


def test_page_frame_navigation_logout_and_escaping() -> None:
    html = frame("Fatura <1>", "<p>corpo</p>", "UC&1")
    assert "<title>Fatura &lt;1&gt; · SMF</title>" in html
    # the body is text, not markup: a value can never open a tag
    escaped = '<p class="err" id="erro">&lt;p&gt;corpo&lt;/p&gt;</p>'
    assert f"<h1>Fatura &lt;1&gt;</h1>\n{escaped}" in html
    assert html.startswith('<!doctype html>\n<html lang="pt-BR">')
    assert '<link rel="stylesheet" href="/web/static/smf.css">' in html
    nav = (
        '<header><strong>SMF</strong> <a href="/web/uc/UC%261">Início</a>'
        ' <a href="/web/uc/UC%261/graficos">Gráficos</a>'
        ' <a href="/web/uc/UC%261/fatura">Fatura</a>'
        '<form method="post" action="/web/logout">'
        '<input type="hidden" name="_csrf_token" value="tok&amp;1">'
        '<button type="submit" id="logout">Sair</button></form></header>'
    )
    assert nav in html
    bare = frame("Entrar", "x", logged_in=False)
    assert "<header><strong>SMF</strong></header>" in bare
    assert "/web/uc/" not in frame("Unidades", "x")  # no UC: no UC links
    assert 'id="logout"' in frame("Unidades", "x")
    assert "<style" not in html and "<script" not in html  # CSP: no inline style or script


# chart geometry by hand: width 520, height 200, left pad 60, bottom pad 30, top pad 10
# -> plot w = 520 - 60 - 10 = 450, h = 200 - 30 - 10 = 160, baseline y = 10 + 160 = 170.
# Two labels: step = 450 / 2 = 225; label centres x = 60 + 225 * 0.5 = 172.5 and 397.5,
# at y = 200 - 12 = 188. Largest value 2.0 -> y(v) = 10 + 160 - 160 * max(v, 0) / 2.
HEAD = (
    '<figure><figcaption>T&lt; (kW)</figcaption><svg xmlns="http://www.w3.org/2000/svg" '
    'width="520" height="200" role="img" aria-label="T&lt;">'
    '<line x1="60" y1="170" x2="510" y2="170" stroke="#888"/>'
    '<text x="56" y="20" font-size="10" text-anchor="end">2,00</text>'
    '<text x="56" y="170" font-size="10" text-anchor="end">0</text>'
    '<text x="172.5" y="188" font-size="10" text-anchor="middle">a</text>'
    '<text x="397.5" y="188" font-size="10" text-anchor="middle">b</text>'
)
LEGEND = '<text x="68" y="20" font-size="10" fill="#f00">S1</text>'  # 60 + 8 + 110 * 0
LEGEND2 = '<text x="178" y="20" font-size="10" fill="#0f0">S2</text>'  # 60 + 8 + 110 * 1
SERIES = [("S1", "#f00", [2.0, None]), ("S2", "#0f0", [1.0, -1.0])]


def test_bar_chart_geometry_by_hand() -> None:
    # two series: bar width = 225 * 0.8 / 2 = 90; x = 60 + 225 i + 22.5 + 90 j
    # S1 a: x 82.5, y(2) = 10, height 170 - 10 = 160; S1 b: missing, no bar
    # S2 a: x 172.5, y(1) = 170 - 80 = 90, height 80; S2 b: x 397.5, y(-1) = y(0) = 170, height 0
    want = (
        HEAD + '<rect x="82.5" y="10.0" width="90.0" height="160.0" fill="#f00">'
        "<title>S1 a: 2,00 kW</title></rect>"
        + LEGEND
        + '<rect x="172.5" y="90.0" width="90.0" height="80.0" fill="#0f0">'
        "<title>S2 a: 1,00 kW</title></rect>"
        '<rect x="397.5" y="170.0" width="90.0" height="0.0" fill="#0f0">'
        "<title>S2 b: -1,00 kW</title></rect>" + LEGEND2 + "</svg></figure>"
    )
    assert svg("T<", ["a", "b"], SERIES, "kW") == want


def test_line_chart_geometry_by_hand() -> None:
    # points at the label centres: S1 (172.5, 10) only (b missing: a gap);
    # S2 (172.5, 90) and (397.5, 170)
    want = (
        HEAD
        + '<polyline points="172.5,10.0" fill="none" stroke="#f00"/>'
        + LEGEND
        + '<polyline points="172.5,90.0 397.5,170.0" fill="none" stroke="#0f0"/>'
        + LEGEND2
        + "</svg></figure>"
    )
    assert svg("T<", ["a", "b"], SERIES, "kW", kind="line") == want


def test_chart_without_values_labels_or_unit() -> None:
    # all zero: the axis top is 1 (not 0, no division by zero); no unit: no "( )"
    # one label: step 450, centre 60 + 225 = 285; one series: bar width 450 * 0.8 = 360,
    # x = 60 + 45 = 105; y(0) = 170
    out = svg("Z", ["x"], [("S", "#000", [0.0])], "", width=520, height=200)
    assert out.startswith("<figure><figcaption>Z</figcaption>")
    assert '<text x="56" y="20" font-size="10" text-anchor="end">1,00</text>' in out
    assert '<text x="285.0" y="188" font-size="10" text-anchor="middle">x</text>' in out
    assert '<rect x="105.0" y="170.0" width="360.0" height="0.0" fill="#000">' in out
    assert "<title>S x: 0,00 </title>" in out
    # no labels and no series: n and k count as 1, only the frame
    empty = svg("E", [], [], "kWh", width=100, height=50)
    # w = 100 - 70 = 30, h = 50 - 40 = 10, baseline 20
    assert empty == (
        '<figure><figcaption>E (kWh)</figcaption><svg xmlns="http://www.w3.org/2000/svg" '
        'width="100" height="50" role="img" aria-label="E">'
        '<line x1="60" y1="20" x2="90" y2="20" stroke="#888"/>'
        '<text x="56" y="20" font-size="10" text-anchor="end">1,00</text>'
        '<text x="56" y="20" font-size="10" text-anchor="end">0</text></svg></figure>'
    )


def test_chart_labels_every_nth_of_many() -> None:
    # 17 labels: every max(1, 17 // 8) = 2nd label is written: 0, 2, ..., 16 -> 9 labels
    labels = [f"{i:02d}" for i in range(17)]
    out = svg("M", labels, [], "")
    written = [lab for lab in labels if f">{lab}</text>" in out]
    assert written == labels[::2]
    # step = 450 / 17; label 16 at 60 + 16.5 * 450 / 17 = 496.76...
    assert '<text x="496.8" y="188"' in out


def test_month_arithmetic() -> None:
    assert views.month_start(date(2024, 2, 29)) == date(2024, 2, 1)
    assert views.add_months(date(2024, 3, 1), -11) == date(2023, 4, 1)
    assert views.add_months(date(2024, 12, 1), 1) == date(2025, 1, 1)
    assert views.add_months(date(2024, 1, 1), -1) == date(2023, 12, 1)
    assert views.add_months(date(2024, 3, 1), 0) == date(2024, 3, 1)
    assert views.add_months(date(2024, 11, 1), 14) == date(2026, 1, 1)


def test_cycle_month_and_day_are_local() -> None:
    sp = "America/Sao_Paulo"  # -03:00, no DST in 2024
    # 2024-03-01 02:00 UTC is 2024-02-29 23:00 local: February's cycle and day
    u = {"tz": sp, "last_ts": datetime(2024, 3, 1, 2, 0, tzinfo=UTC)}
    assert views.cycle_month(u) == date(2024, 2, 1)
    d, lo, hi = views._day(u, None)
    assert d == date(2024, 2, 29)
    assert lo == datetime(2024, 2, 29, 3, 0, tzinfo=UTC)  # local midnight = 03:00 UTC
    assert hi == datetime(2024, 3, 1, 3, 0, tzinfo=UTC)
    assert (hi - lo).total_seconds() == 86400
    u = {"tz": sp, "last_ts": datetime(2024, 3, 1, 3, 0, tzinfo=UTC)}  # local 00:00 of Mar 1
    assert views.cycle_month(u) == date(2024, 3, 1)
    d, lo, _hi = views._day(u, "2024-01-31")  # the asked day wins over the last interval
    assert d == date(2024, 1, 31) and lo == datetime(2024, 1, 31, 3, 0, tzinfo=UTC)
    assert views._day(u, "31/01/2024")[0] == date(2024, 1, 31)  # pt-BR too
    for bad in ("2024/01/31", "31/13/2024", "ontem"):
        with pytest.raises(ApiError) as exc:
            views._day(u, bad)
        assert exc.value.status_code == 422 and exc.value.field == "dia"
        assert exc.value.detail == f"dia: {bad!r} não é uma data DD/MM/AAAA (nem AAAA-MM-DD)"
    # no interval yet: today (local)
    none = {"tz": sp, "last_ts": None}
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(sp)).date()
    assert views.cycle_month(none) == today.replace(day=1)
    assert views._day(none, None)[0] == today


def test_pick_reads_quantity_or_the_total_amount() -> None:
    rows = [
        {"item": "energy", "posto": "ponta", "quantity": Decimal("1.5"), "amount": Decimal("9")},
        {"item": "energy", "posto": "fora_ponta", "quantity": Decimal("2"), "amount": None},
        {"item": "total", "posto": None, "quantity": None, "amount": Decimal("42.10")},
    ]
    assert views.pick(rows, "energy", "fora_ponta") == Decimal("2")
    assert views.pick(rows, "energy", "ponta") == Decimal("1.5")
    assert views.pick(rows, "energy") == Decimal("1.5")  # no posto: the first
    assert views.pick(rows, "total") == Decimal("42.10")
    assert views.pick(rows, "demand_measured", "ponta") is None


def test_session_tokens_are_kept_as_sha256_and_only_our_shape_is_accepted() -> None:
    # what the database keeps of a session token: SHA-256 of its text (hand-checked digest of "abc")
    assert session.digest("abc").hex() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    # a token of our shape is taken as it is (here: the pre-login cookie, whose value is itself
    # the CSRF token); any other text is no token at all
    ok = "A" * 42 + "_"  # 43 URL-safe characters: token_urlsafe(32)
    assert session.csrf_expected({session.CSRF_COOKIE: ok}) == ok
    for bad in (None, "", "A" * 42, "A" * 44, "A" * 42 + "=", "A" * 42 + "."):
        assert session.csrf_expected({session.CSRF_COOKIE: bad}) is None, bad  # type: ignore[dict-item]


def test_csrf_token_is_bound_to_the_session_or_the_pre_login_cookie() -> None:
    import hashlib
    import hmac

    sid = "s" * 43
    pre = "p" * 43
    by_hand = hmac.new(sid.encode(), b"smf-csrf", hashlib.sha256).hexdigest()
    # with a session the token is HMAC-SHA256(session token, "smf-csrf"), whatever else is sent
    assert session.csrf_expected({session.COOKIE: sid, session.CSRF_COOKIE: pre}) == by_hand
    # before login: the random value of the pre-login cookie itself
    assert session.csrf_expected({session.CSRF_COOKIE: pre}) == pre
    # no cookie, or cookies not of our shape: nothing to bind a post to, every post refused
    assert session.csrf_expected({}) is None
    assert session.csrf_expected({session.COOKIE: "short", session.CSRF_COOKIE: "x"}) is None


def test_error_pages() -> None:
    from types import SimpleNamespace

    from litestar.exceptions import HTTPException, ValidationException

    from api import pages
    from api.errors import ApiError

    # the /web router's handler of every exception (the CSRF middleware refuses through it too)
    error_page = pages.router().exception_handlers[Exception]
    req: Any = SimpleNamespace(
        url=SimpleNamespace(path="/web/uc/x"), method="GET", scope={"type": "http"}, cookies={}
    )
    r = error_page(req, session.LoginRequired())
    assert r.status_code == 303 and r.url == "/web/login"  # type: ignore[attr-defined]
    for exc, status, title, detail in (
        (ApiError(403, "fora <do> escopo"), 403, "Acesso negado", "fora &lt;do&gt; escopo"),
        (HTTPException(status_code=404, detail="nada"), 404, "Não encontrado", "nada"),
        (ApiError(429, "espere"), 429, "Aguarde", "espere"),
        (ApiError(409, "conflito"), 409, "Erro", "conflito"),
        (
            ValidationException(detail="x", extra=[{"key": "dia", "message": "ruim"}]),
            422,
            "Pedido inválido",
            "dia: ruim",
        ),
        (RuntimeError("segredo"), 500, "Erro", "an internal error occurred; it is logged"),
    ):
        r = error_page(req, exc)
        assert r.status_code == status and r.media_type == "text/html"
        assert r.template_name == "error.html.j2"  # type: ignore[attr-defined]
        content = ENV.get_template("error.html.j2").render(r.context)  # type: ignore[attr-defined]
        assert f"<title>{title} · SMF</title>" in content
        body = f'<p class="err" id="erro">{detail}</p><p><a href="/web">Voltar</a></p>'
        assert body in content, (exc, content)
        assert 'id="logout"' in content


def test_chart_scale_below_one_and_a_gap_before_a_value() -> None:
    # largest value 0.5: the axis top is 0.5 (not 1), so 0.5 reaches the top (y = 10);
    # a missing first value leaves a gap and the second still gets its bar:
    # one series, two labels: bar width 225 * 0.8 = 180, x = 60 + 225 + 22.5 = 307.5
    out = svg("T", ["a", "b"], [("S", "#000", [None, 0.5])], "kW")
    assert '<text x="56" y="20" font-size="10" text-anchor="end">0,50</text>' in out
    assert '<rect x="307.5" y="10.0" width="180.0" height="160.0" fill="#000">' in out
    assert out.count("<rect") == 1


def test_tariffs_keep_two_to_four_meaningful_decimals() -> None:
    assert render.tariff(Decimal("0.550000")) == "0,55"
    assert render.tariff(Decimal("0.35")) == "0,35"
    assert render.tariff(Decimal("0.412")) == "0,412"
    assert render.tariff(Decimal("0.41235")) == "0,4124"  # 4th decimal rounded (half even: 3 -> 4)
    assert render.tariff(Decimal("0.41225")) == "0,4122"  # half to even: 2 stays
    assert render.tariff(Decimal("512.5")) == "512,50"
    assert render.tariff(Decimal("1234.00001")) == "1.234,00"
    assert render.tariff(None) == ""


def test_cycle_title_says_partial_only_while_the_month_runs() -> None:
    sp = "America/Sao_Paulo"  # -03:00
    u = {"tz": sp, "last_ts": datetime(2026, 11, 30, 23, 55, tzinfo=UTC)}  # 20:55 local Nov 30
    # on 7 December (local) November is over: not "parcial", however complete its data
    dec7 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert views.cycle_title(u, date(2026, 11, 1), dec7) == "Fatura de nov/2026 (mês encerrado)"
    # on 30 November 22:00 local (01:00 UTC of Dec 1) it is still running
    nov30 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert views.cycle_title(u, date(2026, 11, 1), nov30) == (
        "Fatura parcial de nov/2026 (até 30/11/2026 20:55)"
    )
    none = {"tz": sp, "last_ts": None}
    assert views.cycle_title(none, date(2026, 12, 1), dec7) == "Fatura parcial de dez/2026"


def test_a_line_breaks_at_every_gap_and_the_reference_line_is_drawn() -> None:
    # four labels: step 450 / 4 = 112.5; centres 60 + 112.5 (i + 0.5) = 116.25, 228.75, 341.25,
    # 453.75; top 2.0 -> y(v) = 170 - 80 v: y(1) = 90, y(2) = 10, y(0.92) = 96.4
    out = svg(
        "FP",
        ["a", "b", "c", "d"],
        [("S", "#000", [1.0, None, 2.0, 1.0])],
        "",
        kind="line",
        refs=[(0.92, "ref 0,92")],
    )
    # no line from a to c across the missing b: two segments
    assert '<polyline points="116.2,90.0" fill="none" stroke="#000"/>' in out
    assert '<polyline points="341.2,10.0 453.8,90.0" fill="none" stroke="#000"/>' in out
    assert out.count("<polyline") == 2
    assert (
        '<line class="ref" x1="60" y1="96.4" x2="510" y2="96.4" stroke="#a00" '
        'stroke-dasharray="4 3"/>'
    ) in out
    # the label right-aligned at the plot's end, 2 px above the line: x 508, y 94.4
    assert (
        '<text x="508" y="94.4" font-size="10" text-anchor="end" fill="#a00">ref 0,92</text>' in out
    )
