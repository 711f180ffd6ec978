"""Phasor diagrams as SVG: a pure format (rows in, text out; no database, no I/O).

phasor_svg({uc_code: rows}) draws one diagram per UC: voltage and current phasors of phases A, B
and C from the rows of smf.phasors (magnitude, angle in degrees, element name), scaled per kind.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any

Row = dict[str, Any]


def _iso(v: Any) -> str:
    """The reading's instant as ISO 8601 with its offset (the default label)."""
    return v.isoformat() if isinstance(v, datetime) else ("" if v is None else str(v))


def _diagram(rows: list[Row], cx: float, cy: float, r: float) -> list[str]:
    """One phasor diagram: voltages (solid) scaled to r, currents (dashed) scaled to 0.8 r."""
    colours = ["#c0392b", "#27ae60", "#2c3e50"]
    vmax = max((float(x["voltage_v"] or 0) for x in rows), default=0) or 1.0
    imax = max((float(x["current_a"] or 0) for x in rows), default=0) or 1.0
    out = [
        f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="#ddd"/>',
        f'<line x1="{cx - r}" y1="{cy}" x2="{cx + r}" y2="{cy}" stroke="#eee"/>',
        f'<line x1="{cx}" y1="{cy - r}" x2="{cx}" y2="{cy + r}" stroke="#eee"/>',
    ]
    for i, x in enumerate(rows):
        col = colours[i % 3]
        for mag, ang, scale, dash, name in (
            (x["voltage_v"], x["voltage_angle_deg"], r / vmax, "", "V"),
            (
                x["current_a"],
                x["current_angle_deg"],
                0.8 * r / imax,
                ' stroke-dasharray="5,3"',
                "I",
            ),
        ):
            if mag is None or ang is None:
                continue
            a = math.radians(float(ang))
            x2 = cx + float(mag) * scale * math.cos(a)
            y2 = cy - float(mag) * scale * math.sin(a)  # SVG y grows downwards
            label = escape(f"{name}{x['element'].split(' ')[0]}")
            out.append(
                f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{col}" '
                f'stroke-width="2"{dash}><title>{label} {mag} @ {ang} deg</title></line>'
            )
            out.append(
                f'<text x="{x2:.1f}" y="{y2:.1f}" font-size="10" fill="{col}">{label}</text>'
            )
    return out


def phasor_svg(by_uc: dict[str, list[Row]], when: Callable[[Any], str] | None = None) -> str:
    """An SVG with one phasor diagram per UC (a grid: the all-UC screen), with its table values."""
    cell, cols = 320, 3
    n = max(len(by_uc), 1)
    width, height = cell * min(n, cols), cell * math.ceil(n / cols)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif">'
    ]
    for k, (uc, rows) in enumerate(by_uc.items()):
        ox, oy = (k % cols) * cell, (k // cols) * cell
        head = rows[0] if rows else {}
        title = f"{uc} {head.get('customer_name', '')}"
        sub = f"{head.get('connection', 'no 0x14')} {(when or _iso)(head.get('at'))}"
        parts.append(f'<g class="uc" data-uc="{escape(uc)}">')
        parts.append(f'<text x="{ox + 8}" y="{oy + 16}" font-size="12">{escape(title)}</text>')
        parts.append(f'<text x="{ox + 8}" y="{oy + 30}" font-size="10">{escape(sub)}</text>')
        parts += _diagram(rows, ox + cell / 2, oy + cell / 2 + 10, cell * 0.36)
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
