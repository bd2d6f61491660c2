"""static/js/shrink.js in Chromium at 360×640, under the app's Content-Security-Policy:
a big camera photo is shrunk to a JPEG of at most 300 KB and 1600 px before upload,
upright and without EXIF; small or undecodable files are left alone; the file count is
capped; the submit button is off while shrinking; inputs added later work too.

The page is served through Playwright's request routing (no server needed): a static
HTML page plus the real static/js/shrink.js, with the app's CSP header."""
import base64
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from propsvc.core.web import CSP, STATIC_ROOT

pytestmark = pytest.mark.browser

ORIGIN = "http://shrink.test"
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>shrink</title>
<script src="/static/js/shrink.js" defer></script></head>
<body>
<form id="f" method="post" action="/upload" enctype="multipart/form-data">
  <div>
    <input id="photos" type="file" name="photos" accept="image/*" multiple data-shrink
           data-max-files="4" aria-describedby="hint ps">
    <p id="hint">最多4张</p>
    <p id="ps" data-shrink-status></p>
  </div>
  <button id="send">提交</button>
  <button id="other" type="button">取消</button>
</form>
<div id="later"></div>
</body></html>"""

# In-page reader for an input's files: size, type, name, decoded size and the bytes.
READ_FILES = """async (sel) => {
  const out = [];
  for (const f of document.querySelector(sel).files) {
    let w = null, h = null;
    try { const bm = await createImageBitmap(f); w = bm.width; h = bm.height; bm.close(); } catch (e) {}
    const bytes = new Uint8Array(await f.arrayBuffer());
    let bin = "";
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    out.push({name: f.name, size: f.size, type: f.type, width: w, height: h, b64: btoa(bin)});
  }
  return out;
}"""

# Records every state the submit button and the status line went through.
WATCH = """() => {
  window.seen = {disabled: false, texts: []};
  const send = document.getElementById("send"), st = document.getElementById("ps");
  new MutationObserver(() => { if (send.disabled) window.seen.disabled = true; })
    .observe(send, {attributes: true});
  new MutationObserver(() => window.seen.texts.push(st.textContent))
    .observe(st, {childList: true, characterData: true, subtree: true});
}"""


def jpeg(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()


def camera_photo(w: int, h: int) -> Image.Image:
    """Noisy like a phone photo in dim light: several MB as a high-quality JPEG."""
    base = Image.linear_gradient("L").resize((w, h))
    noise = Image.effect_noise((w, h), 24)
    return Image.merge("RGB", (Image.blend(base, noise, 0.5), noise, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


@pytest.fixture
def shrink_page(page):
    script = (STATIC_ROOT / "js" / "shrink.js").read_bytes()

    def serve(route):
        path = route.request.url[len(ORIGIN):]
        if path == "/static/js/shrink.js":
            route.fulfill(status=200, body=script, headers={"Content-Type": "text/javascript; charset=utf-8"})
        elif path == "/":
            route.fulfill(status=200, body=PAGE, headers={"Content-Type": "text/html; charset=utf-8",
                                                          "Content-Security-Policy": CSP})
        else:
            route.fulfill(status=404, body="")

    page.route(ORIGIN + "/**", serve)
    page.goto(ORIGIN + "/")
    page.wait_for_load_state("load")
    page.evaluate(WATCH)
    yield page
    assert page.js_errors == []
    assert page.console_errors == []  # includes any CSP violation


def read_files(page, sel="#photos"):
    return page.evaluate(READ_FILES, sel)


def test_big_camera_photo_is_shrunk_before_upload(shrink_page):
    page = shrink_page
    original = jpeg(camera_photo(4000, 3000), quality=92)
    assert len(original) > 3 * 1024 * 1024  # "several MB", as a phone camera makes

    page.set_input_files("#photos", files=[{"name": "IMG_20261105_083000.jpg", "mimeType": "image/jpeg",
                                             "buffer": original}])
    expect(page.locator("#ps")).to_have_text(re.compile(r"^1 张，共 \d+ KB$"), timeout=30_000)

    [f] = read_files(page)
    assert f["type"] == "image/jpeg"
    assert f["size"] <= 300 * 1024
    assert f["name"] == "IMG_20261105_083000.jpg"
    assert max(f["width"], f["height"]) <= 1600
    assert (f["width"], f["height"]) == (1600, 1200)
    with Image.open(io.BytesIO(base64.b64decode(f["b64"]))) as im:
        assert im.format == "JPEG" and im.size == (1600, 1200)
    kb = int(re.search(r"(\d+) KB", page.locator("#ps").text_content()).group(1))
    assert kb == -(-f["size"] // 1024)

    seen = page.evaluate("window.seen")
    assert seen["disabled"], "the submit button must be off while shrinking"
    assert "正在压缩…" in seen["texts"]
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator("#send")).not_to_have_attribute("data-shrink-off", re.compile(".*"))
    expect(page.locator("#other")).to_be_enabled()


def test_orientation_applied_and_exif_gone(shrink_page):
    page = shrink_page
    # Stored sideways (3000x2000, left red, right blue) with Orientation 6 and a GPS position:
    # upright it is 2000x3000 with red on top.
    im = Image.new("RGB", (3000, 2000), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 1500, 2000))
    im = Image.blend(im, Image.effect_noise((3000, 2000), 30).convert("RGB"), 0.15)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 30.0)})
    original = jpeg(im, quality=95, exif=exif)

    page.set_input_files("#photos", files=[{"name": "side.jpg", "mimeType": "image/jpeg", "buffer": original}])
    expect(page.locator("#ps")).to_have_text(re.compile(r"^1 张，共 \d+ KB$"), timeout=30_000)

    [f] = read_files(page)
    assert f["type"] == "image/jpeg" and f["size"] < len(original)
    assert (f["width"], f["height"]) == (1067, 1600)
    data = base64.b64decode(f["b64"])
    assert b"Exif\x00\x00" not in data
    with Image.open(io.BytesIO(data)) as out:
        assert len(out.getexif()) == 0
        assert out.size == (1067, 1600)  # upright without any orientation tag
        r, g, b = out.convert("RGB").getpixel((533, 200))
        assert r > 150 and b < 100, "top should be red"
        r, g, b = out.convert("RGB").getpixel((533, 1400))
        assert b > 150 and r < 100, "bottom should be blue"


def test_small_or_undecodable_files_are_kept(shrink_page):
    page = shrink_page
    tiny_png = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 30)).save(tiny_png, "PNG")
    files = [
        {"name": "tiny.png", "mimeType": "image/png", "buffer": tiny_png.getvalue()},
        {"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8not really a jpeg" * 10},
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": "备注".encode() * 10},
    ]
    page.set_input_files("#photos", files=files)
    expect(page.locator("#ps")).to_have_text(re.compile(r"^3 张，共 1 KB$"))

    got = read_files(page)
    assert [(f["name"], f["type"], f["size"]) for f in got] == [
        (x["name"], x["mimeType"], len(x["buffer"])) for x in files]
    expect(page.locator("#send")).to_be_enabled()


def test_file_count_is_capped_and_later_inputs_work(shrink_page):
    page = shrink_page
    # An input added after load (as an htmx swap would) with its status as a sibling.
    page.evaluate("""() => { document.getElementById("later").innerHTML =
        '<form id="g"><input id="more" type="file" multiple data-shrink data-max-files="2">' +
        '<span data-shrink-status></span><input id="go" type="submit" value="提交"></form>'; }""")
    photo = jpeg(camera_photo(1200, 900), quality=95)
    page.set_input_files("#more", files=[
        {"name": f"p{i}.jpg", "mimeType": "image/jpeg", "buffer": photo} for i in range(3)])
    status = page.locator("#g [data-shrink-status]")
    expect(status).to_have_text(re.compile(r"^最多 2 张照片，只保留了前 2 张。2 张，共 \d+ KB$"), timeout=20_000)

    got = read_files(page, "#more")
    assert [f["name"] for f in got] == ["p0.jpg", "p1.jpg"]
    assert all(f["size"] < len(photo) and f["type"] == "image/jpeg" for f in got)
    expect(page.locator("#go")).to_be_enabled()
    # The first form was never touched.
    assert page.evaluate("window.seen.disabled") is False
    expect(page.locator("#ps")).to_have_text("")


def test_choosing_nothing_clears_the_status(shrink_page):
    page = shrink_page
    tiny = jpeg(Image.new("RGB", (20, 20), "white"))
    page.set_input_files("#photos", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": tiny}])
    expect(page.locator("#ps")).to_have_text(re.compile(r"^1 张"))
    page.set_input_files("#photos", files=[])
    expect(page.locator("#ps")).to_have_text("")
