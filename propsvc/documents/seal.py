"""The community's seal (公章) on issued documents.

A community may configure a scanned seal image (Community.stamp_image, a file under the
upload folder, best a PNG with a transparent background). Without one, documents carry a
generated seal in the usual form of a Chinese organisation's seal: a red ring, a five-pointed
star in the middle and the seal's text (Community.stamp_name, else the community name) along
the upper arc, each character turned to face outwards.

The generated seal is an inline SVG drawn by WeasyPrint as vector graphics: sharp at any
size, a few hundred bytes, and its text is real text in the embedded CJK font (one <text>
element with per-character positions, so `pdftotext -raw` gives the name back in order).
"""
from __future__ import annotations

import math
from functools import lru_cache
from html import escape
from pathlib import Path

from flask import current_app
from markupsafe import Markup

from .pdf import FONT_FAMILY, SafeFetcher

__all__ = ["SEAL_RED", "seal_image_path", "seal_markup", "seal_svg"]

SEAL_RED = "#d7191f"
VIEW = 100.0          # the SVG is drawn in a 100 × 100 box and scaled by CSS (.seal width/height)
CENTER = VIEW / 2
RING_R = 47.0         # outer ring (centre of its stroke)
RING_W = 3.2
TEXT_R = 34.0         # radius of the characters' centres
MAX_SPAN = 232.0      # degrees of arc the name may take, centred on the top
MAX_STEP = 30.0       # degrees between two characters of a short name
MAX_CHARS = 24


def _star(cx: float, cy: float, outer: float) -> str:
    inner = outer * 0.382  # the regular five-pointed star
    points = []
    for i in range(10):
        r = outer if i % 2 == 0 else inner
        a = math.radians(-90 + i * 36)
        points.append(f"{cx + r * math.cos(a):.2f},{cy + r * math.sin(a):.2f}")
    return " ".join(points)


def _arc_text(name: str) -> tuple[str, float]:
    """x, y and rotate lists for the characters of `name` along the upper arc, and the font size."""
    n = len(name)
    step = min(MAX_STEP, MAX_SPAN / max(n - 1, 1)) if n > 1 else 0.0
    # The font fills most of the arc length between two characters, within sensible bounds.
    size = min(14.0, max(6.5, TEXT_R * math.radians(step or MAX_STEP) * 0.8))
    xs, ys, rs = [], [], []
    for i in range(n):
        theta = (i - (n - 1) / 2) * step  # degrees clockwise from the top
        t = math.radians(theta)
        tangent = (math.cos(t), math.sin(t))
        outward = (math.sin(t), -math.cos(t))
        centre = (CENTER + TEXT_R * math.sin(t), CENTER - TEXT_R * math.cos(t))
        # A glyph is placed by its baseline origin and turned around it: put the origin half
        # an em back along the tangent and ~0.38 em inwards so the glyph is centred on the arc.
        x = centre[0] - size / 2 * tangent[0] - 0.38 * size * outward[0]
        y = centre[1] - size / 2 * tangent[1] - 0.38 * size * outward[1]
        xs.append(f"{x:.2f}")
        ys.append(f"{y:.2f}")
        rs.append(f"{theta:.2f}")
    return f'x="{" ".join(xs)}" y="{" ".join(ys)}" rotate="{" ".join(rs)}"', size


@lru_cache(maxsize=64)
def seal_svg(name: str, subtitle: str = "", color: str = SEAL_RED) -> Markup:
    """An inline SVG of a round red seal with `name` along the arc (and `subtitle`, e.g. 专用章,
    straight under the star). Sized by CSS (it fills its box)."""
    name = "".join(name.split())[:MAX_CHARS]
    subtitle = "".join((subtitle or "").split())[:8]
    parts = [
        f'<svg class="seal-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {VIEW:g} {VIEW:g}" '
        f'width="100%" height="100%">',
        f'<circle cx="{CENTER:g}" cy="{CENTER:g}" r="{RING_R:g}" fill="none" stroke="{color}" '
        f'stroke-width="{RING_W:g}"/>',
        f'<polygon points="{_star(CENTER, CENTER + 1.5, 13.5)}" fill="{color}"/>',
    ]
    if name:
        attrs, size = _arc_text(name)
        parts.append(f'<text {attrs} font-family="{FONT_FAMILY}" font-size="{size:.2f}" '
                     f'fill="{color}">{escape(name)}</text>')
    if subtitle:
        size = min(9.0, 44.0 / len(subtitle))
        parts.append(f'<text x="{CENTER:g}" y="{CENTER + 28:g}" text-anchor="middle" font-family="{FONT_FAMILY}" '
                     f'font-size="{size:.2f}" fill="{color}">{escape(subtitle)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def seal_image_path(stamp_image: str | None) -> Path | None:
    """The configured seal image as an absolute path inside the upload folder, or None when
    not set, missing, or pointing anywhere else (then the generated seal is used)."""
    if not stamp_image:
        return None
    upload = current_app.config.get("UPLOAD_FOLDER")
    if not upload:
        return None
    root = Path(upload).resolve()
    try:
        path = (root / stamp_image).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_relative_to(root) or path == root or not path.is_file() or not SafeFetcher.allowed(path):
        return None
    return path


def seal_markup(stamp_name: str | None, stamp_image: str | None = None, *, fallback_name: str = "") -> Markup:
    """What goes in a document's seal block: the configured image if it exists, else the
    generated seal with stamp_name (or fallback_name, the community's name)."""
    path = seal_image_path(stamp_image)
    if path is not None:
        return Markup('<img class="seal-img" src="{}" alt="">').format(path.as_uri())
    return seal_svg((stamp_name or fallback_name or "").strip())
