"""HTML of the client view: pt-BR number and date formats, escaping, the page frame and a small
bar/line chart drawn as inline SVG by our own code (no script, no CDN, no build step)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from html import escape
from string import Template

MONTHS = ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"]


def num(value: float | Decimal | int | None, decimals: int = 2) -> str:
    """Brazilian format: 1234.5 -> '1.234,50'; None -> '—'."""
    if value is None:
        return "—"
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def money(value: float | Decimal | None) -> str:
    return "—" if value is None else f"R$ {num(value, 2)}"


def month_label(m: date) -> str:
    return f"{MONTHS[m.month - 1]}/{m.year}"


def when(t: datetime | None) -> str:
    return "—" if t is None else t.strftime("%d/%m/%Y %H:%M")


def e(value: object) -> str:
    return escape("" if value is None else str(value))


_PAGE = Template("""<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>$title · SMF</title>
<style>
body{font-family:sans-serif;margin:0;color:#222}
header{background:#1d4e89;color:#fff;padding:.6em 1em;display:flex;gap:1.2em;align-items:center}
header a{color:#fff}header form{margin-left:auto}
main{padding:1em 1.5em}table{border-collapse:collapse;margin:.5em 0 1.2em}
td,th{border:1px solid #ccc;padding:.25em .6em}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#eef}.err{color:#a00}figure{display:inline-block;margin:0 1.5em 1em 0}
</style></head><body>
<header><strong>SMF</strong>$nav</header>
<main><h1>$title</h1>
$body
</main></body></html>""")


def page(title: str, body: str, uc_code: str | None = None, logged_in: bool = True) -> str:
    nav = ""
    if uc_code:
        u = e(uc_code)
        nav += (
            f' <a href="/web/uc/{u}">Início</a> <a href="/web/uc/{u}/graficos">Gráficos</a>'
            f' <a href="/web/uc/{u}/fatura">Fatura</a>'
        )
    if logged_in:
        nav += (
            '<form method="post" action="/web/logout">'
            '<button type="submit" id="logout">Sair</button></form>'
        )
    return _PAGE.substitute(title=e(title), nav=nav, body=body)


def table(
    head: Sequence[str], rows: Iterable[Sequence[str]], numeric_from: int = 1, id_: str = ""
) -> str:
    """A table; cells from column `numeric_from` on are right-aligned (already formatted)."""
    out = [f'<table id="{e(id_)}">' if id_ else "<table>", "<tr>"]
    out += [f"<th>{e(h)}</th>" for h in head]
    out.append("</tr>")
    for row in rows:
        cells = [
            f'<td class="n">{c}</td>' if i >= numeric_from else f"<td>{c}</td>"
            for i, c in enumerate(row)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    unit: str,
    kind: str = "bar",
    width: int = 520,
    height: int = 200,
) -> str:
    """An SVG chart: `series` is (name, colour, values) aligned with `labels`; bars grouped per
    label, or lines. Missing values are gaps. The axis shows 0 and the largest value."""
    pad_l, pad_b, pad_t = 60, 30, 10
    w, h = width - pad_l - 10, height - pad_b - pad_t
    values = [v for _, _, vs in series for v in vs if v is not None]
    top = max([*values, 0.0]) or 1.0
    n = max(len(labels), 1)
    step = w / n

    def y(v: float) -> float:
        return pad_t + h - h * max(v, 0.0) / top

    parts = [
        f"<figure><figcaption>{e(title)}{f' ({e(unit)})' if unit else ''}</figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{e(title)}">',
        f'<line x1="{pad_l}" y1="{pad_t + h}" x2="{pad_l + w}" y2="{pad_t + h}" stroke="#888"/>',
        f'<text x="{pad_l - 4}" y="{pad_t + 10}" font-size="10" text-anchor="end">'
        f"{num(top)}</text>",
        f'<text x="{pad_l - 4}" y="{pad_t + h}" font-size="10" text-anchor="end">0</text>',
    ]
    every = max(1, n // 8)
    for i, lab in enumerate(labels):
        if i % every == 0:
            x = pad_l + step * (i + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{height - 12}" font-size="10" text-anchor="middle">'
                f"{e(lab)}</text>"
            )
    k = max(len(series), 1)
    for j, (name, colour, vs) in enumerate(series):
        if kind == "bar":
            bw = step * 0.8 / k
            for i, v in enumerate(vs):
                if v is None:
                    continue
                x = pad_l + step * i + step * 0.1 + bw * j
                parts.append(
                    f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bw:.1f}" '
                    f'height="{pad_t + h - y(v):.1f}" fill="{colour}">'
                    f"<title>{e(name)} {e(labels[i])}: {num(v)} {e(unit)}</title></rect>"
                )
        else:
            pts = " ".join(
                f"{pad_l + step * (i + 0.5):.1f},{y(v):.1f}"
                for i, v in enumerate(vs)
                if v is not None
            )
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}"/>')
        parts.append(
            f'<text x="{pad_l + 8 + 110 * j}" y="{pad_t + 10}" font-size="10" fill="{colour}">'
            f"{e(name)}</text>"
        )
    parts.append("</svg></figure>")
    return "".join(parts)
