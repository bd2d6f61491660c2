"""Store uploaded photos safely, model-agnostic (tickets and patrols keep their own rows).

save_photo() reads at most max_bytes (+1) of the upload, checks with Pillow that it really
is a JPEG/PNG/WebP (HEIC only when a Pillow HEIF plugin is installed), refuses
decompression bombs, turns the picture upright by its EXIF orientation and then stores a
brand-new RGB JPEG without any metadata (no EXIF, GPS, XMP, ICC or comments), long side
at most 1600 px, plus a thumbnail of at most 240 px. File names are random; the client's
name and extension are never used. Files are written atomically (temp file + os.replace).
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageFile, ImageOps

try:  # HEIC/HEIF only when the optional plugin is installed
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    register_heif_opener = None
else:  # pragma: no cover
    register_heif_opener()

log = logging.getLogger(__name__)

MAX_SIDE = 1600
THUMB_SIDE = 240
QUALITY = 80
THUMB_QUALITY = 70
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
FILE_MODE = 0o640

_FORMATS = ["JPEG", "PNG", "WEBP"] + (["HEIF"] if register_heif_opener else [])
_ACCEPTED = set(_FORMATS) | {"MPO"}  # phone JPEGs with a multi-picture index open as MPO
_FOLDER_RE = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}

MSG_EMPTY = "没有收到图片内容，请重新选择照片。"
MSG_NOT_IMAGE = "文件不是有效的图片（支持 JPEG、PNG、WebP 格式）。"
MSG_BROKEN = "图片文件不完整或已损坏，请重新拍摄或选择。"
MSG_PIXELS = "图片尺寸过大，无法处理。"
MSG_HEIC = "暂不支持 HEIC 格式的照片：请在手机相机设置中选择“兼容性最佳”（JPEG），或截图后上传。"


class PhotoError(ValueError):
    """An upload that is not an acceptable photo; the message (Chinese) is shown by the field."""


@dataclass(frozen=True)
class StoredPhoto:
    path: str        # relative to UPLOAD_FOLDER, e.g. "c1/2026/11/3f2a….jpg"
    thumb_path: str  # e.g. "c1/2026/11/3f2a…_t.jpg"
    width: int       # of the stored image
    height: int
    size: int        # bytes
    sha256: str      # hex digest of the stored image bytes


def _root(upload_root) -> Path:
    return Path(upload_root if upload_root is not None else current_app.config["UPLOAD_FOLDER"])


def _too_big(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    limit = f"{mb:g} MB" if mb >= 1 else f"{max_bytes // 1024} KB"
    return f"图片太大（最大 {limit}）"


def _read_limited(file, max_bytes: int) -> bytes:
    stream = getattr(file, "stream", None)
    if stream is None:
        stream = file
    try:
        if stream.seekable():
            stream.seek(0)
    except (AttributeError, OSError, ValueError):
        pass
    chunks, total = [], 0
    while total <= max_bytes:  # stop as soon as we hold max_bytes + 1
        chunk = stream.read(min(1024 * 1024, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > max_bytes:
        raise PhotoError(_too_big(max_bytes))
    if total == 0:
        raise PhotoError(MSG_EMPTY)
    return b"".join(chunks)


_STRICT = threading.Lock()


def _looks_like_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _open(data: bytes) -> Image.Image:
    """Open, verify, reopen and fully decode; every failure becomes a PhotoError."""
    limit = Image.MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data), formats=_FORMATS) as probe:
            w, h = probe.size
            if probe.format not in _ACCEPTED:
                raise PhotoError(MSG_NOT_IMAGE)
            if limit and w * h > limit:  # Pillow only warns up to 2x its limit; we refuse
                raise PhotoError(MSG_PIXELS)
            probe.verify()
        im = Image.open(io.BytesIO(data), formats=_FORMATS)
        if im.format in ("JPEG", "MPO") and max(w, h) > MAX_SIDE:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: far less memory and time.
            scale = MAX_SIDE / max(w, h)
            im.draft("RGB", (max(1, round(w * scale)), max(1, round(h * scale))))
        with _STRICT:
            # WeasyPrint sets Pillow's global LOAD_TRUNCATED_IMAGES = True when it is imported;
            # a truncated upload must still be refused, so decode strictly here.
            saved, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
            try:
                im.load()
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = saved
        return im
    except PhotoError:
        raise
    except Image.DecompressionBombError as e:
        raise PhotoError(MSG_PIXELS) from e
    except Image.UnidentifiedImageError as e:
        raise PhotoError(MSG_HEIC if _looks_like_heif(data) else MSG_NOT_IMAGE) from e
    except MemoryError:
        raise
    except Exception as e:  # untrusted bytes: any decoder complaint means "broken"
        log.info("photo rejected: %s: %s", type(e).__name__, e)
        raise PhotoError(MSG_BROKEN) from e


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Photos from newer phones are often Display P3: convert instead of dropping the profile."""
    if icc and im.mode in ("RGB", "CMYK"):
        try:
            from PIL import ImageCms

            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception as e:  # a broken profile is not worth refusing the photo
            log.info("ignoring ICC profile: %s", e)
    return im


def _flatten(im: Image.Image) -> Image.Image:
    """RGB on white (transparent areas would otherwise turn black in a JPEG)."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        bg = Image.new("RGB", im.size, (255, 255, 255))
        bg.paste(im, mask=im.getchannel("A"))
        return bg
    return im.convert("RGB") if im.mode != "RGB" else im


def _process(im: Image.Image) -> Image.Image:
    icc = im.info.get("icc_profile")
    try:
        im = ImageOps.exif_transpose(im)
    except Exception as e:  # odd EXIF: keep the picture as stored
        log.info("exif_transpose failed: %s", e)
    if im.mode not in ("RGB", "RGBA", "L", "LA", "CMYK"):
        im = im.convert("RGBA" if (im.mode in ("P", "PA") and ("transparency" in im.info or im.mode == "PA"))
                        else "RGB")
    if max(im.size) > MAX_SIDE:
        im.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)  # keeps the aspect; never enlarges
    im = _flatten(_to_srgb(im, icc))
    # A brand-new image carries nothing over: no EXIF (GPS), XMP, ICC, comments, DPI.
    clean = Image.new("RGB", im.size)
    clean.paste(im)
    return clean


def _jpeg(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
    return buf.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_photo(file, *, folder: str, upload_root: str | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES) -> StoredPhoto:
    """Check and store one uploaded photo under `folder` (e.g. "c1/2026/11").

    `file` is a werkzeug FileStorage or anything with .stream or .read. Raises PhotoError
    (Chinese message for the form field) for anything that is not an acceptable photo, and
    ValueError for a malformed `folder` (a programming error)."""
    folder = folder.rstrip("/")
    if not _FOLDER_RE.fullmatch(folder):
        raise ValueError(f"bad photo folder: {folder!r}")
    data = _read_limited(file, max_bytes)
    with _open(data) as im:
        picture = _process(im)
    body = _jpeg(picture, QUALITY)
    thumb = picture.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    thumb_body = _jpeg(thumb, THUMB_QUALITY)

    name = uuid.uuid4().hex
    rel, thumb_rel = f"{folder}/{name}.jpg", f"{folder}/{name}_t.jpg"
    root = _root(upload_root)
    _write_atomic(root / rel, body)
    try:
        _write_atomic(root / thumb_rel, thumb_body)
    except BaseException:
        (root / rel).unlink(missing_ok=True)
        raise
    return StoredPhoto(path=rel, thumb_path=thumb_rel, width=picture.width, height=picture.height,
                       size=len(body), sha256=hashlib.sha256(body).hexdigest())


def _safe_path(rel_path: str, upload_root) -> Path:
    """The path inside the upload root, or FileNotFoundError (never a path outside it)."""
    root = _root(upload_root).resolve()
    if not isinstance(rel_path, str) or not rel_path or "\x00" in rel_path or "\\" in rel_path:
        raise FileNotFoundError(rel_path)
    parts = rel_path.split("/")
    if rel_path.startswith("/") or any(p in ("", ".", "..") for p in parts) or ":" in parts[0]:
        raise FileNotFoundError(rel_path)
    full = root.joinpath(*parts).resolve()  # follows symlinks: one pointing out is refused below
    if not full.is_relative_to(root) or full == root:
        raise FileNotFoundError(rel_path)
    return full


def open_photo(rel_path: str, upload_root: str | None = None) -> Path:
    """The absolute path of a stored photo; FileNotFoundError if missing or outside the root."""
    full = _safe_path(rel_path, upload_root)
    if not full.is_file():
        raise FileNotFoundError(rel_path)
    return full


def delete_photo(stored: StoredPhoto, upload_root: str | None = None) -> None:
    """Remove a stored photo and its thumbnail (e.g. when the database write failed)."""
    for rel in (stored.path, stored.thumb_path):
        try:
            _safe_path(rel, upload_root).unlink(missing_ok=True)
        except FileNotFoundError:
            pass
        except OSError as e:
            log.warning("could not delete photo %s: %s", rel, e)


def photo_response(rel_path: str | None, upload_root: str | None = None):
    """Send a stored photo to a viewer the caller has already checked; 404 when missing.
    Kept privately in the browser for a day (photos never change under a path)."""
    from flask import abort, send_file

    if not rel_path:
        abort(404)
    try:
        full = open_photo(rel_path, upload_root)
    except FileNotFoundError:
        abort(404)
    resp = send_file(full, mimetype="image/jpeg", max_age=0)
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp
