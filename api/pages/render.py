"""What the client view's templates (api/pages/templates/, Jinja2 with autoescaping) are given:
pt-BR number and date filters, and the geometry of the small bar/line charts they draw as inline
SVG (no script, no CDN, no build step). Nothing here writes HTML: every value reaches the page
through a template, which escapes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

MONTHS = ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"]
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def num(value: float | Decimal | int | None, decimals: int = 2) -> str:
    """Brazilian format: 1234.5 -> '1.234,50'; None -> '—'."""
    if value is None:
        return "—"
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def tariff(value: float | Decimal | None) -> str:
    """A tariff (R$ per kWh or kW) with its meaningful decimals, 2 to 4: 0.550000 -> '0,55',
    0.41235 -> '0,4124' (rounded half to even at the 4th), 512.5 -> '512,50'; None -> ''."""
    if value is None:
        return ""
    q = Decimal(str(value)).quantize(Decimal("0.0001"))
    decimals = max(2, -q.normalize().as_tuple().exponent)  # type: ignore[operator]
    return num(q, min(decimals, 4))


def money(value: float | Decimal | None) -> str:
    return "—" if value is None else f"R$ {num(value, 2)}"


def month_label(m: date) -> str:
    return f"{MONTHS[m.month - 1]}/{m.year}"


def when(t: datetime | None) -> str:
    return "—" if t is None else t.strftime("%d/%m/%Y %H:%M")


def environment() -> Environment:
    """The pages' Jinja2 environment: autoescaping on for every template (a value can only
    become markup by a template saying so, and none does), undefined names fail loudly."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(num=num, money=money, month_label=month_label, when=when)
    return env


# --- charts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    x: str
    y: str
    text: str


@dataclass(frozen=True, slots=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    tip: str


@dataclass(slots=True)
class Shapes:
    """One series: its bars, or its line as segments (a missing value breaks the line), and
    its legend entry."""

    name: str
    colour: str
    legend_x: int
    bars: list[Bar] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RefLine:
    """A horizontal reference line across the plot (e.g. the 0.92 power factor limit)."""

    y: str
    label: Text
    x1: int
    x2: int


@dataclass(slots=True)
class Chart:
    title: str
    unit: str
    width: int
    height: int
    axis: tuple[int, int, int, int]
    top: Text
    zero: Text
    labels: list[Text]
    series: list[Shapes]
    refs: list[RefLine]


def chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    unit: str,
    kind: str = "bar",
    width: int = 520,
    height: int = 200,
    refs: Sequence[tuple[float, str]] = (),
    decimals: int = 2,
) -> Chart:
    """The geometry of a chart: `series` is (name, colour, values) aligned with `labels`; bars
    grouped per label, or lines. Missing values (None) are gaps: no bar, and a line breaks there
    (it never joins the values on either side of a gap). `refs` are (value, label) horizontal
    reference lines. The axis shows 0 and the largest value (or reference)."""
    pad_l, pad_b, pad_t = 60, 30, 10
    w, h = width - pad_l - 10, height - pad_b - pad_t
    values = [v for _, _, vs in series for v in vs if v is not None]
    top = max([*values, *(v for v, _ in refs), 0.0]) or 1.0
    n = max(len(labels), 1)
    step = w / n

    def y(v: float) -> float:
        return pad_t + h - h * max(v, 0.0) / top

    every = max(1, n // 8)
    out = Chart(
        title=title,
        unit=unit,
        width=width,
        height=height,
        axis=(pad_l, pad_t + h, pad_l + w, pad_t + h),
        top=Text(str(pad_l - 4), str(pad_t + 10), num(top, decimals)),
        zero=Text(str(pad_l - 4), str(pad_t + h), "0"),
        labels=[
            Text(f"{pad_l + step * (i + 0.5):.1f}", str(height - 12), lab)
            for i, lab in enumerate(labels)
            if i % every == 0
        ],
        series=[],
        refs=[
            RefLine(
                f"{y(v):.1f}",
                Text(str(pad_l + w - 2), f"{y(v) - 2:.1f}", text),
                pad_l,
                pad_l + w,
            )
            for v, text in refs
        ],
    )
    k = max(len(series), 1)
    for j, (name, colour, vs) in enumerate(series):
        shapes = Shapes(name, colour, pad_l + 8 + 110 * j)
        if kind == "bar":
            bw = step * 0.8 / k
            for i, v in enumerate(vs):
                if v is None:
                    continue
                x = pad_l + step * i + step * 0.1 + bw * j
                shapes.bars.append(
                    Bar(
                        f"{x:.1f}",
                        f"{y(v):.1f}",
                        f"{bw:.1f}",
                        f"{pad_t + h - y(v):.1f}",
                        f"{name} {labels[i]}: {num(v, decimals)} {unit}",
                    )
                )
        else:
            run: list[str] = []  # a missing value ends a segment: gaps are never bridged
            for i, v in enumerate(vs):
                if v is None:
                    if run:
                        shapes.segments.append(" ".join(run))
                    run = []
                    continue
                run.append(f"{pad_l + step * (i + 0.5):.1f},{y(v):.1f}")
            if run:
                shapes.segments.append(" ".join(run))
        out.series.append(shapes)
    return out
