"""Signatures drawn on the signature pad (static/js/signature.js): a PNG data URL checked and
cleaned into a cropped grayscale PNG, and stored under the upload folder. Shared by every area
that takes a signature (release slips [S2], handover [H2]-[H4], paid-repair consent): each maps
SignatureError to its own message and field."""
import base64
import binascii
import io
import os
import re
import tempfile
import uuid
from pathlib import Path

from flask import current_app
from PIL import Image

MAX_BYTES = 400 * 1024
MAX_SIDE = 2000
PRINT_SIZE = (600, 200)
MIN_INK_PIXELS = 40      # fewer dark pixels than this is a blank canvas (or a stray tap)

_DATA_URL = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=\s]+)")


class SignatureError(ValueError):
    """blank: nothing (or almost nothing) drawn; otherwise not a usable PNG signature."""

    def __init__(self, blank: bool):
        super().__init__("blank" if blank else "bad")
        self.blank = blank


def decode(value: str | None, pad: int = 8) -> bytes:
    """A PNG data URL from the pad → a clean, cropped grayscale PNG (bytes). SignatureError when
    nothing is drawn, it is not a PNG data URL, too big, not a real image (Pillow), or a canvas
    with (almost) no ink."""
    value = (value or "").strip()
    if not value:
        raise SignatureError(blank=True)
    m = _DATA_URL.fullmatch(value)
    if m is None or len(value) > MAX_BYTES * 4 // 3 + 64:
        raise SignatureError(blank=False)
    try:
        raw = base64.b64decode(m.group(1), validate=False)
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as probe:
            if max(probe.size) > MAX_SIDE:
                raise SignatureError(blank=False)
            probe.verify()
        im = Image.open(io.BytesIO(raw), formats=["PNG"])
        im.load()
    except SignatureError:
        raise
    except (binascii.Error, Exception):  # untrusted bytes: any decoder complaint means "not a signature"
        raise SignatureError(blank=False) from None
    # Ink on white: transparent areas (an untouched canvas) become white.
    rgba = im.convert("RGBA")
    sheet = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    sheet.alpha_composite(rgba)
    gray = sheet.convert("L")
    ink = gray.point(lambda v: 255 if v < 160 else 0)
    if sum(ink.histogram()[255:]) < MIN_INK_PIXELS:
        raise SignatureError(blank=True)
    box = ink.getbbox()
    box = (max(box[0] - pad, 0), max(box[1] - pad, 0), min(box[2] + pad, gray.width), min(box[3] + pad, gray.height))
    out = gray.crop(box)
    out.thumbnail(PRINT_SIZE, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    out.save(buf, "PNG", optimize=True)  # a brand-new image: no metadata carried over
    return buf.getvalue()


def store_png(data: bytes, folder: str) -> str:
    """Write a PNG under the upload folder (atomically, random name); its relative path."""
    rel = f"{folder.strip('/')}/{uuid.uuid4().hex}.png"
    path = Path(current_app.config["UPLOAD_FOLDER"]) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rel
