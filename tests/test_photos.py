"""Photo storage: what reaches the disk is a shrunk, upright, metadata-free JPEG (plus a
thumbnail); anything that is not a sound JPEG/PNG/WebP is refused with a PhotoError.
Images are generated with Pillow in the tests."""
import hashlib
import io
import os
import struct
import zlib

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from propsvc.photos.services import PhotoError, StoredPhoto, delete_photo, open_photo, save_photo

FOLDER = "c1/2026/11"


def encode(im: Image.Image, fmt: str = "JPEG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def noisy(w: int, h: int, mode: str = "RGB") -> Image.Image:
    """A photo-like picture that does not compress to nothing: gradient plus noise."""
    base = Image.linear_gradient("L").resize((w, h))
    noise = Image.effect_noise((w, h), 40)
    im = Image.merge("RGB", (base, noise, Image.blend(base, noise, 0.5)))
    return im.convert(mode)


def smooth(w: int, h: int) -> Image.Image:
    """A picture that compresses well as PNG (a screenshot or scan, say)."""
    a = Image.linear_gradient("L").resize((w, h))
    b = Image.radial_gradient("L").resize((w, h))
    return Image.merge("RGB", (a, b, a.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


def upload(data: bytes, filename: str = "IMG_0001.jpg", content_type: str = "image/jpeg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def files_under(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def has_no_metadata(data: bytes) -> None:
    im = Image.open(io.BytesIO(data))
    assert im.format == "JPEG"
    assert len(im.getexif()) == 0
    assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(im.info)
    assert b"Exif\x00\x00" not in data and b"http://ns.adobe.com/xap" not in data


# --- what gets stored ---------------------------------------------------------------------

def test_large_png_becomes_jpeg_of_at_most_1600px(tmp_path):
    data = encode(smooth(3200, 2000), "PNG")
    assert len(data) < 8 * 1024 * 1024
    stored = save_photo(upload(data, "scan.png", "image/png"), folder=FOLDER, upload_root=tmp_path)

    assert isinstance(stored, StoredPhoto)
    assert (stored.width, stored.height) == (1600, 1000)
    assert stored.path.startswith(FOLDER + "/") and stored.path.endswith(".jpg")
    assert stored.thumb_path == stored.path[:-4] + "_t.jpg"
    assert "scan" not in stored.path
    body = (tmp_path / stored.path).read_bytes()
    assert stored.size == len(body)
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    with Image.open(io.BytesIO(body)) as im:
        assert im.format == "JPEG" and im.mode == "RGB"
        assert im.size == (1600, 1000)
        assert im.info.get("progressive")
    has_no_metadata(body)
    # Nothing else left behind (no temp files).
    assert files_under(tmp_path) == sorted([stored.path, stored.thumb_path])


def test_large_jpeg_shrunk_portrait(tmp_path):
    stored = save_photo(upload(encode(noisy(3000, 4000), quality=85)), folder=FOLDER, upload_root=tmp_path)
    assert (stored.width, stored.height) == (1200, 1600)


def test_small_image_is_never_enlarged(tmp_path):
    stored = save_photo(upload(encode(noisy(640, 480), quality=90)), folder=FOLDER, upload_root=tmp_path)
    assert (stored.width, stored.height) == (640, 480)


def test_webp_accepted(tmp_path):
    data = encode(noisy(800, 600), "WEBP", quality=80)
    stored = save_photo(upload(data, "a.webp", "image/webp"), folder=FOLDER, upload_root=tmp_path)
    with Image.open(tmp_path / stored.path) as im:
        assert im.format == "JPEG" and im.size == (800, 600)


def test_phone_mpo_jpeg_accepted(tmp_path):
    # Many phones store JPEGs with a second, multi-picture frame: Pillow calls them MPO.
    buf = io.BytesIO()
    noisy(2400, 1200).save(buf, "MPO", save_all=True, append_images=[noisy(240, 120)])
    assert Image.open(io.BytesIO(buf.getvalue())).format == "MPO"
    stored = save_photo(upload(buf.getvalue()), folder=FOLDER, upload_root=tmp_path)
    assert (stored.width, stored.height) == (1600, 800)
    has_no_metadata((tmp_path / stored.path).read_bytes())


def test_transparent_png_is_flattened_on_white(tmp_path):
    im = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    im.paste((200, 0, 0, 255), (0, 0, 50, 100))
    stored = save_photo(upload(encode(im, "PNG"), "logo.png"), folder=FOLDER, upload_root=tmp_path)
    with Image.open(tmp_path / stored.path) as out:
        r, g, b = out.getpixel((80, 50))
        assert min(r, g, b) > 240  # white, not black
        r, g, b = out.getpixel((20, 50))
        assert r > 180 and g < 40 and b < 40


def test_exif_orientation_applied_and_all_metadata_dropped(tmp_path):
    # Stored sideways: 400x200, left half red, right half blue; Orientation 6 means
    # "rotate 90° clockwise to view", so the upright picture is 200x400, red on top.
    im = Image.new("RGB", (400, 200), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 200, 200))
    exif = Image.Exif()
    exif[0x0112] = 6                      # Orientation
    exif[0x010F] = "PhoneMaker"           # Make
    exif[0x0132] = "2026:11:05 08:30:00"  # DateTime
    gps = exif.get_ifd(0x8825)            # GPSInfo
    gps.update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 30.0)})
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(im, quality=95, exif=exif, comment=b"taken at home", icc_profile=srgb)
    with Image.open(io.BytesIO(data)) as src:  # the fixture really carries GPS and orientation
        assert src.getexif()[0x0112] == 6
        assert src.getexif().get_ifd(0x8825)[1] == "N"

    stored = save_photo(upload(data), folder=FOLDER, upload_root=tmp_path)

    assert (stored.width, stored.height) == (200, 400)
    body = (tmp_path / stored.path).read_bytes()
    has_no_metadata(body)
    assert b"PhoneMaker" not in body and b"taken at home" not in body
    with Image.open(io.BytesIO(body)) as out:
        assert out.size == (200, 400)
        r, g, b = out.getpixel((100, 50))
        assert r > 200 and b < 60, "top should be red"
        r, g, b = out.getpixel((100, 350))
        assert b > 200 and r < 60, "bottom should be blue"
    thumb = (tmp_path / stored.thumb_path).read_bytes()
    has_no_metadata(thumb)
    with Image.open(io.BytesIO(thumb)) as t:
        assert t.size == (120, 240)


def test_thumbnail_exists_and_is_small(tmp_path):
    stored = save_photo(upload(encode(noisy(2000, 1500), quality=85)), folder=FOLDER, upload_root=tmp_path)
    thumb = tmp_path / stored.thumb_path
    assert thumb.is_file()
    with Image.open(thumb) as t:
        assert t.format == "JPEG"
        assert max(t.size) <= 240
        assert t.size == (240, 180)
    assert thumb.stat().st_size < (tmp_path / stored.path).stat().st_size


def test_names_are_random_and_client_name_ignored(tmp_path):
    data = encode(noisy(100, 100))
    a = save_photo(upload(data, "../../evil.php"), folder=FOLDER, upload_root=tmp_path)
    b = save_photo(upload(data, "../../evil.php"), folder=FOLDER, upload_root=tmp_path)
    assert a.path != b.path
    assert a.sha256 == b.sha256
    for s in (a, b):
        name = s.path.rsplit("/", 1)[1]
        assert len(name) == 36 and name.endswith(".jpg")
    assert all(p.startswith(FOLDER) for p in files_under(tmp_path))


@pytest.mark.parametrize("folder", ["../x", "/abs", "a/../b", "a//b", "", "a b", "c1\\x"])
def test_bad_folder_is_a_programming_error(tmp_path, folder):
    with pytest.raises(ValueError) as exc:
        save_photo(upload(encode(noisy(10, 10))), folder=folder, upload_root=tmp_path)
    assert not isinstance(exc.value, PhotoError)
    assert files_under(tmp_path) == []


def test_default_root_is_upload_folder_and_delete_rolls_back(app):
    from pathlib import Path

    with app.app_context():
        root = Path(app.config["UPLOAD_FOLDER"])
        stored = save_photo(upload(encode(noisy(300, 200))), folder="c9/tickets")
        assert (root / stored.path).is_file() and (root / stored.thumb_path).is_file()
        assert open_photo(stored.path) == (root / stored.path).resolve()
        delete_photo(stored)
        assert not (root / stored.path).exists() and not (root / stored.thumb_path).exists()
        delete_photo(stored)  # twice is harmless
        with pytest.raises(FileNotFoundError):
            open_photo(stored.path)


# --- what gets refused --------------------------------------------------------------------

def refused(tmp_path, data: bytes, filename="IMG_0001.jpg", **kw) -> str:
    with pytest.raises(PhotoError) as exc:
        save_photo(upload(data, filename), folder=FOLDER, upload_root=tmp_path, **kw)
    assert files_under(tmp_path) == [], "nothing may be written for a refused upload"
    return str(exc.value)


def test_text_file_renamed_jpg_is_refused(tmp_path):
    msg = refused(tmp_path, "这不是图片，只是一段文字。\n".encode() * 50, "photo.jpg")
    assert "不是有效的图片" in msg


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused(tmp_path, fmt):
    assert "不是有效的图片" in refused(tmp_path, encode(noisy(50, 50), fmt), "x.jpg")


def test_heic_gets_a_clear_message(tmp_path):
    Image.init()
    if "HEIF" in Image.OPEN:
        pytest.skip("a HEIF plugin is installed: HEIC is accepted")
    fake_heic = struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0mif1heic" + b"\0" * 200
    assert "HEIC" in refused(tmp_path, fake_heic, "IMG_0001.HEIC")


def test_empty_file_is_refused(tmp_path):
    assert "没有收到图片" in refused(tmp_path, b"")


class CountingStream(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.taken = 0

    def read(self, n=-1):
        chunk = super().read(n)
        self.taken += len(chunk)
        return chunk


def test_oversize_file_is_refused_without_reading_it_all(tmp_path):
    data = encode(noisy(1200, 900), quality=95)
    limit = len(data) - 1
    stream = CountingStream(data + os.urandom(3_000_000))
    with pytest.raises(PhotoError, match="图片太大"):
        save_photo(FileStorage(stream=stream, filename="big.jpg"), folder=FOLDER, upload_root=tmp_path,
                   max_bytes=limit)
    assert stream.taken <= limit + 1
    assert files_under(tmp_path) == []
    # exactly at the limit is fine
    save_photo(upload(data), folder=FOLDER, upload_root=tmp_path, max_bytes=len(data))


def test_default_limit_is_8_mb(tmp_path):
    assert refused(tmp_path, b"\xff\xd8" + b"\0" * (8 * 1024 * 1024)) == "图片太大（最大 8 MB）"


@pytest.mark.parametrize("fmt,cut", [("JPEG", 0.5), ("JPEG", 0.98), ("PNG", 0.5), ("WEBP", 0.5)])
def test_truncated_image_is_refused(tmp_path, fmt, cut):
    data = encode(noisy(800, 600), fmt)
    assert "不完整或已损坏" in refused(tmp_path, data[: int(len(data) * cut)])


def test_truncated_jpeg_is_refused_even_after_weasyprint_loosened_pillow(tmp_path):
    import weasyprint  # noqa: F401 — its import sets ImageFile.LOAD_TRUNCATED_IMAGES = True
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    data = encode(noisy(800, 600), "JPEG")
    assert "不完整或已损坏" in refused(tmp_path, data[: len(data) // 2])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored for WeasyPrint


def test_corrupted_png_is_refused(tmp_path):
    data = bytearray(encode(noisy(200, 200), "PNG"))
    data[len(data) // 2] ^= 0xFF  # the chunk CRC no longer matches: verify() notices
    assert "不完整或已损坏" in refused(tmp_path, bytes(data))


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture (the classic decompression bomb)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) \
        + chunk(b"IEND", b"")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_decompression_bomb_is_refused(tmp_path):
    # 10000 x 10000 = 100 megapixels, above Pillow's limit, yet a ~12 KB file.
    bomb = encode(Image.new("1", (10_000, 10_000)), "PNG", optimize=True)
    assert len(bomb) < 100_000
    assert Image.MAX_IMAGE_PIXELS < 10_000 * 10_000 < 2 * Image.MAX_IMAGE_PIXELS
    assert "尺寸过大" in refused(tmp_path, bomb)  # Pillow itself only warns here
    # Far above the limit Pillow raises DecompressionBombError while opening.
    assert "尺寸过大" in refused(tmp_path, png_header_only(100_000, 100_000))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pixel_limit_follows_pillow_setting(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50 * 50)
    assert "尺寸过大" in refused(tmp_path, encode(noisy(60, 60)))


# --- reading back ---------------------------------------------------------------------------

def test_open_photo_returns_stored_file(tmp_path):
    stored = save_photo(upload(encode(noisy(100, 80))), folder=FOLDER, upload_root=tmp_path)
    assert open_photo(stored.path, upload_root=tmp_path) == (tmp_path / stored.path).resolve()
    assert open_photo(stored.thumb_path, upload_root=str(tmp_path)).is_file()
    with pytest.raises(FileNotFoundError):
        open_photo(FOLDER + "/missing.jpg", upload_root=tmp_path)
    with pytest.raises(FileNotFoundError):
        open_photo(FOLDER, upload_root=tmp_path)  # a directory is not a photo


@pytest.mark.parametrize("rel", [
    "../secret.txt", "c1/../../secret.txt", "c1/2026/../../../secret.txt", "..", "/etc/passwd",
    "", ".", "c1/./x.jpg", "c1//x.jpg", "c1\\..\\..\\secret.txt", "c1/x.jpg\x00.png",
])
def test_open_photo_refuses_paths_outside_the_root(tmp_path, rel):
    root = tmp_path / "uploads"
    (root / "c1").mkdir(parents=True)
    (root / "c1" / "x.jpg").write_bytes(b"x")
    (tmp_path / "secret.txt").write_text("secret")
    with pytest.raises(FileNotFoundError):
        open_photo(rel, upload_root=root)


def test_open_photo_refuses_symlink_out_of_the_root(tmp_path):
    root = tmp_path / "uploads"
    root.mkdir()
    (tmp_path / "secret.jpg").write_bytes(b"secret")
    (root / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    with pytest.raises(FileNotFoundError):
        open_photo("link.jpg", upload_root=root)


def test_delete_photo_never_leaves_the_root(tmp_path):
    root = tmp_path / "uploads"
    root.mkdir()
    victim = tmp_path / "keep.jpg"
    victim.write_bytes(b"keep")
    delete_photo(StoredPhoto(path="../keep.jpg", thumb_path="../keep.jpg", width=1, height=1, size=1,
                             sha256=""), upload_root=root)
    assert victim.exists()
