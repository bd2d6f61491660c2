/* propsvc: shrink photos in the browser before upload (weak phones, slow networks).
   Optional: without it the plain file input still works; the server checks every photo.
   <input type="file" accept="image/*" multiple data-shrink data-max-files="4"
          aria-describedby="ps"> <p id="ps" data-shrink-status></p>
   Status: the aria-describedby target with [data-shrink-status], else the first
   [data-shrink-status] in the input's parent. Long side <= 1600 px, JPEG q 0.8..0.5 until
   <= 300 KB; a file that cannot be decoded, or would grow, is kept as it was. */
(function () {
  "use strict";
  var SIDE = 1600, LIMIT = 307200;
  try { new DataTransfer(); new File([""], "x"); } catch (e) { return; }
  if (!window.Promise || !HTMLCanvasElement.prototype.toBlob) return;

  function statusOf(input) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/), i, el;
    for (i = 0; i < ids.length; i++) {
      el = ids[i] && document.getElementById(ids[i]);
      if (el && el.hasAttribute("data-shrink-status")) return el;
    }
    return input.parentNode && input.parentNode.querySelector("[data-shrink-status]");
  }

  function say(el, text) {
    if (el) { el.setAttribute("aria-live", "polite"); el.textContent = text; }
  }

  function viaImg(file) {
    return new Promise(function (ok, fail) {
      var url = URL.createObjectURL(file), img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); ok(img); };
      img.onerror = function () { URL.revokeObjectURL(url); fail(); };
      img.src = url;
    });
  }

  function encode(c, q) {
    return new Promise(function (ok) { c.toBlob(ok, "image/jpeg", q); }).then(function (b) {
      return b && b.size > LIMIT && q > 0.55 ? encode(c, (q * 10 - 1) / 10) : b;
    });
  }

  function shrink(file) {
    if (file.type && !/^image\//.test(file.type)) return Promise.resolve(file);
    // from-image: upright by EXIF (Chrome 81+); <img> also applies it in current browsers.
    var src = window.createImageBitmap
      ? createImageBitmap(file, { imageOrientation: "from-image" }).then(null, function () { return viaImg(file); })
      : viaImg(file);
    return src.then(function (im) {
      var w = im.naturalWidth || im.width, h = im.naturalHeight || im.height;
      var k = Math.min(1, SIDE / Math.max(w, h)), c = document.createElement("canvas"), x;
      c.width = Math.max(1, Math.round(w * k));
      c.height = Math.max(1, Math.round(h * k));
      x = c.getContext("2d");
      x.imageSmoothingQuality = "high";
      x.fillStyle = "#fff";  // transparency becomes white, not black
      x.fillRect(0, 0, c.width, c.height);
      x.drawImage(im, 0, 0, c.width, c.height);
      if (im.close) im.close();
      return encode(c, 0.8).then(function (b) { c.width = c.height = 0; return b; });  // free it now (iOS)
    }).then(function (b) {
      return !b || b.size >= file.size ? file : new File([b], (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg",
        { type: "image/jpeg", lastModified: Date.now() });
    }, function () { return file; });
  }

  function lock(form, step) {  // no sending the big originals while shrinking
    if (!form) return;
    var on = (form._shrinking = (form._shrinking || 0) + step) > 0;
    [].forEach.call(form.elements, function (b) {
      if (b.type !== "submit" && b.type !== "image") return;
      if (on && !b.disabled) { b.disabled = true; b.setAttribute("data-shrink-off", ""); }
      if (!on && b.hasAttribute("data-shrink-off")) { b.disabled = false; b.removeAttribute("data-shrink-off"); }
    });
  }

  document.addEventListener("change", function (e) {
    var input = e.target;
    if (input.type !== "file" || !input.hasAttribute("data-shrink") || input._shrinkSet) return;
    var st = statusOf(input), files = [].slice.call(input.files || []), out = [], note = "", form = input.form;
    var max = parseInt(input.getAttribute("data-max-files"), 10) || 4, chain = Promise.resolve();
    var gen = input._shrinkGen = (input._shrinkGen || 0) + 1;
    if (!files.length) return say(st, "");
    if (files.length > max) {
      files = files.slice(0, max);
      note = "最多 " + max + " 张照片，只保留了前 " + max + " 张。";
    }
    say(st, note + "正在压缩…");
    lock(form, 1);
    files.forEach(function (f) {
      chain = chain.then(function () { return shrink(f); }).then(function (r) { out.push(r); });
    });
    chain.then(function () {
      if (gen !== input._shrinkGen) return;  // chosen again meanwhile: the newer run decides
      var dt = new DataTransfer(), n = 0;
      out.forEach(function (f) { dt.items.add(f); n += f.size; });
      input._shrinkSet = true;
      try { input.files = dt.files; } finally { input._shrinkSet = false; }
      say(st, note + out.length + " 张，共 " + (n < 1048576 ? Math.ceil(n / 1024) + " KB" : (n / 1048576).toFixed(1) + " MB"));
    }).then(null, function () {
      if (gen === input._shrinkGen) say(st, note);
    }).then(function () { lock(form, -1); });
  });
})();
