/* propsvc: the patrol checklist on the phone — every tap is saved at once, nothing tapped is lost.
   Without this file the buttons are plain form posts that redirect back (it all still works).

   Each tap gets a random key and the phone's time (toISOString) and goes into a queue kept in
   localStorage ("propsvc.patrol.<id>") before it is sent, so a dropped signal, a closed tab
   or a reload loses nothing. The queue is sent in order, one request at a time (XHR, CSRF
   header from <body hx-headers>); on failure it is retried with backoff (2 s … 60 s) and at
   once when the browser says it is online again. The server ignores a key it has seen and a
   tap older than the one it has, so a resend never counts twice. Rows waiting show 未同步 and
   a banner counts them; on load, queued taps are laid over the server's state and sent.

   Photos of problems are shrunk by shrink.js, sent with the tap, and kept in the queue as a
   data URL; a photo too big for localStorage stays in memory only (the banner says to keep
   the page open until it is sent). ES5 only. */
(function () {
  "use strict";
  var list = document.getElementById("pl");
  if (!list || !window.JSON || !window.XMLHttpRequest) return;
  var STORE = "propsvc.patrol." + list.getAttribute("data-patrol");
  var bar = document.getElementById("pq"), tpl = document.getElementById("pt");
  var queue = load(), mem = {}, inflight = null, timer = null, wait = 2000, halted = "", memOnly = false;

  // --- storage ----------------------------------------------------------------------------
  function load() {
    try {
      var q = JSON.parse(window.localStorage.getItem(STORE) || "[]");
      return Object.prototype.toString.call(q) === "[object Array]" ? q : [];
    } catch (e) { return []; }
  }

  function save() {
    try {
      if (queue.length) window.localStorage.setItem(STORE, JSON.stringify(queue));
      else window.localStorage.removeItem(STORE);
      return true;
    } catch (e) { return false; }
  }

  function newKey() {
    var s = "", a, i;
    try {
      a = new Uint32Array(3);
      window.crypto.getRandomValues(a);
      for (i = 0; i < a.length; i++) s += a[i].toString(36);
    } catch (e) {
      s = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2) + Date.now().toString(36);
    }
    return s.slice(0, 20);
  }

  // --- the rows ---------------------------------------------------------------------------
  function closest(el, sel) {
    var m = Element.prototype.matches || Element.prototype.msMatchesSelector || Element.prototype.webkitMatchesSelector;
    while (el && el.nodeType === 1 && !m.call(el, sel)) el = el.parentNode;
    return el && el.nodeType === 1 ? el : null;
  }

  function rowOf(item) { return document.getElementById("i" + item); }
  function itemOf(row) { return row.id.slice(1); }
  function pending(item, except) {
    for (var i = 0; i < queue.length; i++) if (queue[i].i === item && queue[i] !== except) return queue[i];
    return null;
  }

  function show(row, result) {
    var bs = row.querySelectorAll(".pb button"), i;
    for (i = 0; i < bs.length; i++) bs[i].setAttribute("aria-pressed", bs[i].value === result ? "true" : "false");
    row.className = row.className.replace(/\s*\br-\w+/g, "") + (result ? " r-" + result : "");
  }

  function badge(row, text) {
    var s = row.querySelector(".pu");
    if (text && !s) {
      s = document.createElement("span");
      s.className = "pu";
      row.querySelector(".pt").appendChild(s);
    }
    if (text) s.textContent = text;
    else if (s) s.parentNode.removeChild(s);
  }

  function noteOf(row, text) {  // the problem's note under the item (queued: as typed)
    var p = row.querySelector(".pn");
    if (!p) {
      p = document.createElement("p");
      p.className = "pn";
      row.insertBefore(p, row.querySelector(".pt").nextSibling);
    }
    p.textContent = text;
  }

  function progress() {
    var rows = list.querySelectorAll(".pi"), done = 0, i, el = document.getElementById("pd");
    for (i = 0; i < rows.length; i++) {
      if (!/\bold\b/.test(rows[i].className) && /\br-(ok|problem|na)\b/.test(rows[i].className)) done++;
    }
    if (el) el.textContent = done;
  }

  function banner(extra) {
    if (!bar) return;
    var n = queue.length, text = n ? n + " 项待发送" : "";
    if (halted) text += (text ? "：" : "") + halted;
    else if (n && navigator.onLine === false) text += "（无信号，恢复后自动发送）";
    else if (n && memOnly) text += "（照片只存在本页，请保持此页打开直到发送完成）";
    if (extra) text = extra + (text ? " " + text : "");
    bar.textContent = text;
    bar.hidden = !text;
    bar.className = "pq" + (n || halted ? " wait" : "");
  }

  function unsynced() {
    for (var i = 0; i < queue.length; i++) {
      var row = rowOf(queue[i].i);
      if (row) badge(row, "未同步");
    }
  }

  // --- the queue ----------------------------------------------------------------------------
  function enqueue(tap, file) {
    var i, old;
    for (i = queue.length - 1; i >= 0; i--) {  // a newer choice replaces one not yet sent
      old = queue[i];
      if (old.i === tap.i && old !== inflight) {
        if (tap.r === "problem" && !file && !tap.ph && (old.ph || mem[old.k])) {
          tap.ph = old.ph;
          if (mem[old.k]) file = mem[old.k];
        }
        delete mem[old.k];
        queue.splice(i, 1);
      }
    }
    if (file) mem[tap.k] = file;
    queue.push(tap);
    if (!save() && tap.ph) {  // too big for the phone's storage: keep it in this page only
      tap.ph = null;
      memOnly = true;
      save();
    }
    var row = rowOf(tap.i);
    show(row, tap.r);
    if (tap.r === "problem") noteOf(row, tap.n || "");
    badge(row, navigator.onLine === false ? "未同步" : "保存中");
    progress();
    banner();
    flush();
  }

  function remove(tap) {
    var i = queue.indexOf(tap);
    if (i >= 0) queue.splice(i, 1);
    delete mem[tap.k];
    save();
  }

  function blobOf(dataUrl) {
    var parts = dataUrl.split(","), bin = atob(parts[1]), buf = new Uint8Array(bin.length), i;
    for (i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
    return new Blob([buf], { type: "image/jpeg" });
  }

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) {}
    var f = list.querySelector("input[name=csrf_token]");
    return f ? f.value : "";
  }

  function send(tap, done) {
    var xhr = new XMLHttpRequest(), body, photo = mem[tap.k] || (tap.ph ? blobOf(tap.ph) : null), over = false;
    var end = function (status) { if (!over) { over = true; done(status, xhr); } };
    // "?f": answer with the item's row, not a redirect (2 bytes instead of an HX-Request header)
    xhr.open("POST", tap.u + (tap.u.indexOf("?") < 0 ? "?f" : "&f"));
    xhr.timeout = photo ? 90000 : 15000;
    xhr.setRequestHeader("X-CSRFToken", csrf());
    if (photo || tap.n) {
      body = new FormData();
      body.append("result", tap.r);
      body.append("key", tap.k);
      body.append("tapped_at", tap.t);
      if (tap.n) body.append("note", tap.n);
      if (photo) body.append("photo", photo, "photo.jpg");
    } else {
      xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
      // Key (base 36) and ISO time need no escaping: the smallest body that says it all.
      body = "result=" + tap.r + "&key=" + tap.k + "&tapped_at=" + Date.parse(tap.t);
    }
    xhr.onload = function () { end(xhr.status); };
    xhr.onerror = xhr.ontimeout = xhr.onabort = function () { end(0); };
    xhr.send(body);
  }

  function fresh(html) {
    var box = document.createElement("ol");
    box.innerHTML = html;
    return box.querySelector("li.pi");
  }

  function settle(tap, html) {  // the server's row, unless a newer tap or an open panel owns it
    var row = rowOf(tap.i), next = fresh(html);
    if (!row) return;
    if (pending(tap.i) || row.querySelector(".pp") || !next) {
      if (!pending(tap.i)) badge(row, "");
      return;
    }
    row.parentNode.replaceChild(next, row);
  }

  function flush() {
    if (inflight || halted || !queue.length) return;
    clearTimeout(timer);
    var tap = inflight = queue[0];
    send(tap, function (status, xhr) {
      inflight = null;
      var login = xhr.responseURL && /\/login|\/kiosk/.test(xhr.responseURL);
      if (status >= 200 && status < 300 && !login) {
        remove(tap);
        settle(tap, xhr.responseText);
        wait = 2000;
        if (!queue.length) memOnly = false;
        progress();
        banner();
        flush();
      } else if (status === 409) {  // finished (elsewhere): nothing can change any more
        queue = [];
        mem = {};
        save();
        halted = "巡查已结束，不能再修改。";
        banner();
      } else if (status === 422 || status === 404 || status === 413) {  // this tap cannot be saved
        remove(tap);
        var row = rowOf(tap.i), next = fresh(xhr.responseText || "");
        if (row && next && !pending(tap.i)) {
          row.parentNode.replaceChild(next, row);
          if (tap.r === "problem") openPanel(next, tap.n);
        }
        progress();
        banner();
        flush();
      } else if (login || status === 400 || status === 401 || status === 403) {
        halted = "登录已过期或页面已失效：请重新登录或刷新页面，未发送的内容仍保存在手机上，会自动补发。";
        unsynced();
        banner();
      } else {  // no signal, timeout, server busy: try again later
        unsynced();
        banner();
        timer = setTimeout(flush, wait);
        wait = Math.min(wait * 2, 60000);
      }
    });
  }

  // --- problems: note and photo ---------------------------------------------------------------
  function openPanel(row, note) {
    var pp = row.querySelector(".pp"), pn, text;
    if (!pp && tpl) {
      pp = (tpl.content ? document.importNode(tpl.content, true) : null);
      if (!pp) {
        var box = document.createElement("div");
        box.innerHTML = tpl.innerHTML;
        pp = box;
      }
      pp = pp.querySelector(".pp");
      var file = pp.querySelector("input[type=file]"), st = pp.querySelector("[data-shrink-status]");
      st.id = "pps" + row.id;  // shrink.js reports to the input's aria-describedby
      file.setAttribute("aria-describedby", st.id);
      row.appendChild(pp);
      pn = row.querySelector(".pn");
      text = note || (pn && pn.firstChild && pn.firstChild.nodeType === 3 ? pn.firstChild.nodeValue : "");
      pp.querySelector("textarea").value = (text || "").replace(/\s+$/, "");
      var label = pp.querySelectorAll("label")[1];
      if (label && label.firstChild) {
        label.firstChild.nodeValue = row.getAttribute("data-pr") === "1" && !row.hasAttribute("data-ph")
          ? "照片（必须）" : "照片（可选）";
      }
    }
    if (pp) {
      row.className += /\bopen\b/.test(row.className) ? "" : " open";
      pp.querySelector("textarea").focus();
    }
  }

  function closePanel(row) {
    var pp = row.querySelector(".pp");
    if (pp) pp.parentNode.removeChild(pp);
    row.className = row.className.replace(/\s*\bopen\b/g, "");
  }

  function say(pp, text) {
    var p = pp.querySelector(".error");
    if (!p) {
      p = document.createElement("p");
      p.className = "error";
      p.setAttribute("role", "alert");
      pp.insertBefore(p, pp.firstChild);
    }
    p.textContent = text;
  }

  function tapRow(row, result, note, file, dataUrl) {
    var b = row.querySelector(".pb button");
    var tap = { i: itemOf(row), r: result, k: newKey(), t: new Date().toISOString(), u: b.getAttribute("formaction") };
    if (note) tap.n = note;
    if (dataUrl && dataUrl.length < 3000000) tap.ph = dataUrl;
    else if (file) memOnly = true;
    enqueue(tap, file);
  }

  function saveProblem(row) {
    var pp = row.querySelector(".pp"), note = pp.querySelector("textarea").value.replace(/^\s+|\s+$/g, "");
    var input = pp.querySelector("input[type=file]"), file = input.files && input.files[0], queued = pending(itemOf(row));
    if (!note) return say(pp, "请填写问题说明。");
    if (!file && row.getAttribute("data-pr") === "1" && !row.hasAttribute("data-ph")
        && !(queued && (queued.ph || mem[queued.k]))) {
      return say(pp, "此项有问题时需要拍照。");
    }
    if (!file) {
      closePanel(row);
      return tapRow(row, "problem", note);
    }
    var reader = new FileReader();
    reader.onload = function () { closePanel(row); tapRow(row, "problem", note, file, reader.result); };
    reader.onerror = function () { closePanel(row); tapRow(row, "problem", note, file, null); };
    reader.readAsDataURL(file);
  }

  // --- wiring ---------------------------------------------------------------------------------
  list.addEventListener("click", function (e) {
    var b = closest(e.target, "button"), row = b && closest(b, "li.pi");
    if (!row || !list.contains(row)) return;
    if (b.hasAttribute("data-cancel")) {
      e.preventDefault();
      return closePanel(row);
    }
    if (b.name !== "result") return;
    e.preventDefault();
    if (b.hasAttribute("data-save")) return saveProblem(row);
    if (b.value === "problem") return openPanel(row);
    closePanel(row);
    tapRow(row, b.value);
  });
  list.addEventListener("submit", function (e) { e.preventDefault(); });

  var fin = document.getElementById("pf");
  if (fin) {
    fin.addEventListener("submit", function (e) {
      if (!queue.length) return;
      e.preventDefault();
      halted = "";
      banner("请等待全部发送后再完成巡查。");
      flush();
    });
  }

  window.addEventListener("online", function () { wait = 2000; banner(); flush(); });
  window.addEventListener("offline", function () { unsynced(); banner(); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) flush(); });

  // Resume: lay the queued taps over the server's state, then send them.
  (function () {
    var i, t, row, kept = [];
    for (i = 0; i < queue.length; i++) {
      t = queue[i];
      row = t && rowOf(t.i);
      if (!row || !t.k || !t.u) continue;  // an item no longer on this checklist
      kept.push(t);
      show(row, t.r);
      if (t.r === "problem") noteOf(row, t.n || "");
      badge(row, "未同步");
    }
    queue = kept;
    save();
    progress();
    banner();
    flush();
  })();
})();
