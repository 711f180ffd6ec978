"""The client web view (/web) in-process, through Litestar's TestClient over the API seed
(tests/api/conftest.py): the same pages tests/web drive in Chromium, here in the test's own
process (login and logout, refusals, the home, bill and graphs pages with their values, the
day's export, another UC's pages, rate limiting, a revoked key, a UC without a posto schedule or
readings). Values by hand from the seed: meter M-A1 (the client
`cli`'s UC) holds (i + 1) Wh in 5-minute interval i from 2024-03-01 00:00 UTC (i = 0 .. 287);
the local time zone is America/Sao_Paulo (-03:00), so local 2024-03-01 holds intervals 36 .. 287
and local 2024-02-29 intervals 0 .. 35."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from db import driver
from tests.api.conftest import Seed, make_client, web_csrf, web_login


def br(value: Any) -> str:
    """pt-BR by hand: thousands '.', decimal ','."""
    return f"{float(value):,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def span(html: str, id_: str) -> str:
    m = re.search(rf'<span id="{re.escape(id_)}">([^<]*)</span>', html)
    assert m, id_
    return m.group(1)


def login(c: TestClient[Any], key: str) -> Any:
    return web_login(c, key)


@pytest.fixture(scope="module")
def web(seeded: Seed) -> Iterator[TestClient[Any]]:
    """A client of its own (its own cookie jar), logged in as the client `cli`."""
    with make_client(seeded.settings) as c:
        r = login(c, seeded.keys["cli"])
        assert r.status_code == 303, r.text
        yield c


@pytest.mark.slow
def test_login_sets_a_signed_session_cookie_and_logout_ends_it(seeded: Seed) -> None:
    uc = seeded.ucs["M-A1"]
    with make_client(seeded.settings) as c:
        form = c.get("/web/login")
        assert form.status_code == 200
        # once: Litestar adds the charset to text/ types (it was doubled before)
        assert form.headers["content-type"] == "text/html; charset=utf-8"
        assert 'name="key"' in form.text and 'id="logout"' not in form.text
        r = login(c, seeded.keys["cli"])
        assert r.status_code == 303 and r.headers["location"] == "/web"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("smf_web=")
        for attr in ("Path=/web", "HttpOnly", "SameSite=lax", "Max-Age=28800"):  # 8 h
            assert attr in cookie, (attr, cookie)
        assert seeded.keys["cli"] not in cookie
        # one UC in the scope: /web goes straight to it
        r = c.get("/web", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/web/uc/{uc}"
        out = c.post("/web/logout", data={"_csrf_token": web_csrf(c)}, follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/web/login"
        assert 'smf_web=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
        c.cookies.clear()
        c.cookies.set("smf_web", cookie.split(";")[0].split("=", 1)[1], path="/web")
        r = c.get(f"/web/uc/{uc}", follow_redirects=False)  # the old cookie no longer works
        assert r.status_code == 303 and r.headers["location"] == "/web/login"


@pytest.mark.slow
def test_bad_keys_and_other_roles_are_refused(seeded: Seed) -> None:
    with make_client(seeded.settings) as client:
        _refused(client, seeded)


def _refused(client: TestClient[Any], seeded: Seed) -> None:
    r = login(client, "smf_nope")
    assert r.status_code == 401 and "set-cookie" not in r.headers
    assert '<p class="err" id="erro">Chave inválida ou revogada.</p>' in r.text
    for who in ("ana", "root", "svc"):
        r = login(client, seeded.keys[who])
        assert r.status_code == 403 and "set-cookie" not in r.headers, who
        assert "Esta página é para contas de cliente." in r.text
    r = client.get("/web", follow_redirects=False)  # no cookie at all
    assert r.status_code == 303 and r.headers["location"] == "/web/login"
    client.cookies.set("smf_web", "forged.0", path="/web")
    r = client.get("/web/uc/x", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/web/login"


@pytest.mark.slow
def test_home_page_values(web: TestClient[Any], seeded: Seed) -> None:
    uc = seeded.ucs["M-A1"]
    r = web.get(f"/web/uc/{uc}")
    assert r.status_code == 200, r.text
    t = r.text
    assert f"<title>UC {uc} · SMF</title>" in t
    assert span(t, "cliente") == "Cliente M-A1"
    assert span(t, "medidor") == "M-A1"
    assert span(t, "modalidade") == "azul"
    assert span(t, "contratada-ponta") == "100,00"
    assert span(t, "contratada-fora-ponta") == "100,00"
    assert "<td>Distribuidora</td><td>Dist A (001)</td>" in t
    # the last interval starts 2024-03-01 23:55 UTC = 20:55 local
    assert "<td>Última leitura</td><td>01/03/2024 20:55</td>" in t  # numeric from column 2
    assert "<td>Modelo</td><td></td>" in t  # the seed's meter has no manufacturer nor model
    # March 2024 is over (today is later): its bill is no longer "parcial"
    assert '<h2 id="ciclo">Fatura de mar/2024 (mês encerrado)</h2>' in t
    assert "Fatura parcial" not in t
    # local March 1 (a Friday): ponta 18:00-21:00 local = 21:00-24:00 UTC = intervals 252..287,
    # 253 + ... + 288 = 36 * (253 + 288) / 2 = 9738 Wh; fora ponta: intervals 36..251,
    # 37 + ... + 252 = 216 * (37 + 252) / 2 = 31212 Wh
    assert span(t, "consumo-ponta") == "9,74"
    assert span(t, "consumo-fora_ponta") == "31,21"
    # demand: the largest quarter hour x 4. Ponta: intervals 285..287 = 286 + 287 + 288 = 861 Wh
    # -> 3.444 kW; fora ponta: intervals 249..251 = 250 + 251 + 252 = 753 Wh -> 3.012 kW
    assert span(t, "demanda-ponta") == "3,44"
    assert span(t, "demanda-fora_ponta") == "3,01"
    assert t.count("<svg") == 3  # demand over 24 h, energy and demand per bill
    assert "Demanda nas últimas 24 h (kW)" in t
    assert "Energia por fatura (kWh)" in t and "Demanda medida por fatura (kW)" in t
    # the bills charted: February (intervals 0..35, local Feb 29) and March
    assert ">fev/2024</text>" in t and ">mar/2024</text>" in t
    # the 24-hour demand line starts at the local quarter hour of the seed's first interval
    assert ">21:00</text>" in t


def test_bill_page_values(web: TestClient[Any], seeded: Seed) -> None:
    uc = seeded.ucs["M-A1"]
    r = web.get(f"/web/uc/{uc}/fatura")
    assert r.status_code == 200, r.text
    t = r.text
    assert '<h2 id="ciclo">Fatura de mar/2024 (mês encerrado)</h2>' in t
    assert "sem tributos (ICMS, PIS/PASEP e COFINS)" in t
    # energy ponta 9.738 kWh x R$ 0,55 = R$ 5,3559 -> 5,36; fora ponta 31.212 x 0,35 = 10,9242
    assert span(t, "sim-energy-ponta") == "5,36"
    assert span(t, "sim-energy-fora_ponta") == "10,92"
    assert "<td>Energia ativa</td><td>Ponta</td>" in t
    # the tariff with its meaningful decimals (0.550000 R$/kWh -> 0,55)
    assert '<td class="n">9,74 kWh</td><td class="n">0,55</td>' in t
    # counts of intervals have no decimals: local March 1 holds 252 of the month's intervals
    assert '<td class="n">252 intervalos</td>' in t
    # The bill says what it rests on (smf.billing_data_quality): March 2024 has data on local
    # March 1 only, 252 of its 288 intervals (87.5 % < 99 %), none on the 30 days after it; over
    # the month 252 / (31 x 288) = 252 / 8928 = 2.8225... % -> "2,82".
    note = re.search(r'<p class="err" id="qualidade">(.*?)</p>', t)
    assert note is not None, "no data-quality note on a month with 30 days without data"
    assert "Valores não definitivos: completude do mês 2,82 % (mínimo 99,00 %)." in note[1]
    low = note[1].split("Dias com dados incompletos: ")[1].split(".")[0]
    assert low == ", ".join(f"{d:02d}/03" for d in range(1, 32))
    with driver.connect(seeded.settings) as conn:
        total, feb = conn.execute(
            "select (select amount from smf.billing_summary(%(uc)s, '2024-03-01') "
            "where item = 'total'), (select amount from smf.billing_summary(%(uc)s, "
            "'2024-02-01') where item = 'total')",
            {"uc": uc},
        ).fetchone()  # type: ignore[misc]
    assert span(t, "sim-total") == br(total)
    assert span(t, "hist-2024-02") == br(feb)
    assert "hist-2024-03" not in t  # the cycle in progress is not a past bill
    assert f'<a href="/web/uc/{uc}/memoria-de-massa?mes=2024-02">ABNT</a>' in t
    assert f'<a id="abnt" href="/web/uc/{uc}/memoria-de-massa?mes=2024-03">' in t
    # February's bill: intervals 0..35 (local Feb 29 21:00-24:00, after the ponta ends at 21:00):
    # ponta none, fora ponta 1 + ... + 36 = 666 Wh; demand billed: the contracted 100 kW each
    assert (
        '<td>fev/2024</td><td class="n">0,00</td><td class="n">0,67</td>'
        '<td class="n">100,00</td><td class="n">100,00</td>'
    ) in t


def test_graphs_page_and_its_day(web: TestClient[Any], seeded: Seed) -> None:
    uc = seeded.ucs["M-A1"]
    t = web.get(f"/web/uc/{uc}/graficos").text
    assert f"<title>Gráficos · UC {uc} · 01/03/2024 · SMF</title>" in t
    # local March 1: intervals 36..287, 37 + ... + 288 = 41616 - 666 = 40950 Wh
    assert span(t, "consumo-direto") == "40,95"
    assert span(t, "consumo-reverso") == "0,00"
    assert t.count("<svg") == 4
    assert f'href="/web/uc/{uc}/exportar?formato=csv&amp;dia=2024-03-01"' in t
    # the first local quarter hour (intervals 36..38: 37 + 38 + 39 = 114 Wh): demand x 4
    assert "<title>Direto 00:00: 0,11 kWh</title>" in t
    assert "Demanda (15 min) (kW)" in t
    t = web.get(f"/web/uc/{uc}/graficos", params={"dia": "2024-02-29"}).text
    # local Feb 29 holds intervals 0..35 only (21:00-24:00): 1 + ... + 36 = 666 Wh
    assert span(t, "consumo-direto") == "0,67"
    assert "<title>Direto 21:00: 0,01 kWh</title>" in t  # 1 + 2 + 3 = 6 Wh
    bad = web.get(f"/web/uc/{uc}/graficos", params={"dia": "ontem"})
    assert bad.status_code == 422 and "<title>Pedido inválido · SMF</title>" in bad.text
    assert "dia: &#39;ontem&#39; não é uma data DD/MM/AAAA (nem AAAA-MM-DD)" in bad.text
    # the day in pt-BR, in the form and in the query
    assert 'name="dia" id="dia" value="29/02/2024"' in t
    t = web.get(f"/web/uc/{uc}/graficos", params={"dia": "29/02/2024"}).text
    assert span(t, "consumo-direto") == "0,67"


def test_export_of_the_local_day(web: TestClient[Any], seeded: Seed) -> None:
    uc = seeded.ucs["M-A1"]
    r = web.get(f"/web/uc/{uc}/exportar", params={"formato": "csv"})
    assert r.status_code == 200, r.text
    assert 'filename="M-A1_20240301T0000_15m.csv"' in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:3] == ["bucket_start", "active_fwd_kwh", "active_rev_kwh"]
    assert "voltage_a_v" not in rows[0]  # energy channels only
    assert rows[1][0].startswith("2024-03-01 00:00:00-03") and float(rows[1][1]) == 0.114
    assert len(rows) == 1 + 84  # local 00:00 to 21:00: 84 quarter hours with data
    r = web.get(f"/web/uc/{uc}/exportar", params={"formato": "pdf"})
    assert r.status_code == 422 and "Pedido inválido" in r.text


def test_another_ucs_pages_are_403_with_the_reason(web: TestClient[Any], seeded: Seed) -> None:
    other = seeded.ucs["M-B1"]
    for tail in ("", "/fatura", "/graficos", "/exportar", "/memoria-de-massa?mes=2024-03"):
        r = web.get(f"/web/uc/{other}{tail}", follow_redirects=False)
        assert r.status_code == 403, tail
        assert "<title>Acesso negado · SMF</title>" in r.text
        assert f"a UC {other} não está no escopo da conta cli" in r.text
        assert '<p><a href="/web">Voltar</a></p>' in r.text


def test_mass_memory_needs_a_month(web: TestClient[Any], seeded: Seed) -> None:
    r = web.get(f"/web/uc/{seeded.ucs['M-A1']}/memoria-de-massa")
    assert r.status_code == 422
    assert "format=abnt needs month=YYYY-MM (one month per file)" in r.text


@pytest.mark.slow
def test_unit_list_and_rate_limited_pages(fresh: Any) -> None:
    seed, client = fresh
    a1, a2 = seed.ucs["M-A1"], seed.ucs["M-A2"]
    with driver.connect(seed.settings) as conn:
        driver.run(conn, "user_scope_add", name="cli", kind="uc", ref=a2)
    assert login(client, seed.keys["cli"]).status_code == 303
    r = client.get("/web")
    assert r.status_code == 200 and "<title>Unidades consumidoras · SMF</title>" in r.text
    assert (
        f'<ul><li><a href="/web/uc/{a1}">{a1}</a> Cliente M-A1</li>'
        f'<li><a href="/web/uc/{a2}">{a2}</a> Cliente M-A2</li></ul>'
    ) in r.text
    # ten failed logins from this address: the session's pages answer 429 too
    for _ in range(10):
        assert login(client, "smf_aaaaaaaaaaaa_" + "x" * 43).status_code == 401
    r = client.get(f"/web/uc/{a1}", follow_redirects=False)
    assert r.status_code == 429 and "<title>Aguarde · SMF</title>" in r.text
    assert "too many failed logins" in r.text
    r = login(client, seed.keys["cli"])
    assert r.status_code == 429 and "too many failed logins" in r.text


@pytest.mark.slow
def test_revoked_key_ends_the_session_and_no_uc_is_listed(fresh: Any) -> None:
    seed, client = fresh
    with driver.connect(seed.settings) as conn:
        driver.run(conn, "user_add", name="nobody", role="client", db_role=None)
        from api import auth

        key_id, token, hash_ = auth.new_key()
        driver.run(conn, "user_key_add", name="nobody", key_id=key_id, hash=hash_, label=None)
    assert login(client, token).status_code == 303
    r = client.get("/web")
    assert r.status_code == 200 and "<p>Nenhuma.</p>" in r.text
    with driver.connect(seed.settings) as conn:
        driver.run(conn, "user_key_revoke", ref="nobody")
    r = client.get("/web", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/web/login"


@pytest.mark.slow
def test_pages_without_a_posto_schedule_or_readings(fresh: Any) -> None:
    seed, client = fresh
    a1, a2 = seed.ucs["M-A1"], seed.ucs["M-A2"]
    with driver.connect(seed.settings) as conn:
        driver.run(conn, "user_scope_add", name="cli", kind="uc", ref=a2)
        dist = conn.execute("select id from smf.distributor where aneel_code = '001'").fetchone()
        conn.execute("delete from smf.posto_schedule where distributor_id = %s", (dist[0],))  # type: ignore[index]
        conn.execute(
            "delete from smf.interval_reading where meter_id ="
            " (select id from smf.meter where serial = 'M-A2')"
        )
    assert login(client, seed.keys["cli"]).status_code == 303
    # no posto schedule: the bill queries refuse (SMF04), the page says why and goes on
    for tail in ("", "/fatura"):
        r = client.get(f"/web/uc/{a1}{tail}")
        assert r.status_code == 200, (tail, r.text)
        assert '<p class="err">Sem dados para o ciclo: ' in r.text
        assert "posto" in r.text
    r = client.get(f"/web/uc/{a1}/fatura")
    assert "<p>Nenhuma fatura anterior com leituras." in r.text
    # no reading at all: no last reading, no 24-hour chart, no bill history
    r = client.get(f"/web/uc/{a2}")
    assert r.status_code == 200
    assert "<td>Última leitura</td><td>—</td>" in r.text
    assert "Demanda nas últimas 24 h" not in r.text and "<svg" not in r.text
    r = client.get(f"/web/uc/{a2}/fatura")
    assert r.status_code == 200 and "<p>Nenhuma fatura anterior com leituras.</p>" in r.text
