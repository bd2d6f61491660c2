/* propsvc: the patrol checklist on the phone — every tap is saved at once, nothing tapped is lost.
   Without this file the buttons are plain form posts that redirect back (it all still works).

   Each tap gets a random key, the phone's time (toISOString, kept for the record only) and
   its place in this phone's order: the device id and the next number of a counter, both kept
   in localStorage ("propsvc.tapseq") so they outlive a reload or a closed tab. The server
   orders a device's taps by that number, never by the phone's clock: an original request
   held up in the network and arriving after a newer tap of the same item is ignored. The tap
   goes into a queue kept in localStorage ("propsvc.patrol.<id>") before it is sent, so a
   dropped signal, a closed tab or a reload loses nothing. The queue is sent in order, one
   request at a time (XHR, CSRF header from <body hx-headers>); on failure it is retried with
   backoff (2 s … 60 s) and at once when the browser says it is online again. The server
   remembers every key, so a resend never counts twice; its answer says saved, repeat (the key
   was saved before) or stale (a newer tap of this phone was there first: nothing to do, the
   row shows what is stored) in the X-Tap-Status header. Rows waiting show 未同步 and a banner
   counts them; on load, queued taps are laid over the server's state and sent.

   A tap the server cannot take (422 with its reason, 413 too big, 404 no such item, 409 the
   patrol is finished) is not dropped: it moves to the 需处理 list above the checklist
   ("propsvc.patrol.<id>.held"), with the reason in Chinese and 重试 / 放弃 for each; the rest
   of the queue carries on. 重试 sends it again as the newest choice for its item (a new number
   and time); a new tap of the same item replaces it; finishing waits until the list is empty.

   完成巡查 is kept like a tap ("propsvc.patrol.<id>.finish": the form's one-time key): pressed
   with taps still waiting or without signal, the button says 完成巡查（待发送） and the banner says
   so; it is sent (marked ?f) once every tap is saved and nothing waits in 需处理, and again after a
   lost answer with the same key, so the patrol is finished once. Done: the page opens afresh with
   the server's message; refused (422): the reason in the banner, and nothing kept.

   Photos of problems are shrunk by shrink.js, sent with the tap, and kept in the queue as a
   data URL; a photo too big for localStorage stays in memory only (the banner says to keep
   the page open until it is sent). ES5 only. */
(function () {
  "use strict";
  var list = document.getElementById("pl");
  if (!list || !window.JSON || !window.XMLHttpRequest) return;
  var STORE = "propsvc.patrol." + list.getAttribute("data-patrol"), HELD = STORE + ".held", SEQ = "propsvc.tapseq";
  var FINISH = STORE + ".finish";
  var bar = document.getElementById("pq"), tpl = document.getElementById("pt");
  var box = document.getElementById("pa"), boxList = box && box.querySelector("ul");
  var queue = load(STORE), held = load(HELD), mem = {}, truth = {}, order = null;
  var inflight = null, timer = null, wait = 2000, halted = "", memOnly = false;
  var finishing = null, finTimer = null, finWait = 2000, finBusy = false;
  var LABELS = { ok: "正常", problem: "有问题", na: "不适用" };

  // --- storage ----------------------------------------------------------------------------
  function load(name) {
    try {
      var q = JSON.parse(window.localStorage.getItem(name) || "[]");
      return Object.prototype.toString.call(q) === "[object Array]" ? q : [];
    } catch (e) { return []; }
  }

  function put(name, list) {
    try {
      if (list.length) window.localStorage.setItem(name, JSON.stringify(list));
      else window.localStorage.removeItem(name);
      return true;
    } catch (e) { return false; }
  }

  function save() { return put(STORE, queue); }

  function saveHeld() {
    if (put(HELD, held)) return;
    for (var i = 0; i < held.length; i++) held[i].ph = null;  // too big: the photos stay in this page only
    put(HELD, held);
  }

  // This phone's order of its taps: { d: device id, n: the last number given }. Read afresh each
  // time (another tab of the same phone counts on the same counter); kept in memory as well, so
  // a full storage never makes the numbers go back.
  function nextOrder() {
    var st = null;
    try { st = JSON.parse(window.localStorage.getItem(SEQ) || "null"); } catch (e) {}
    if (!st || typeof st.d !== "string" || !/^[a-z0-9]{1,32}$/.test(st.d) || typeof st.n !== "number" || !(st.n >= 0)) {
      st = null;
    }
    if (st && (!order || st.d === order.d)) order = { d: st.d, n: Math.max(st.n, order ? order.n : 0) };
    else if (!order) order = { d: newKey(), n: 0 };
    order.n += 1;
    try { window.localStorage.setItem(SEQ, JSON.stringify(order)); } catch (e) {}
    return order;
  }

  function stamp(tap) {  // the tap's place in this phone's order, and its time
    var o = nextOrder();
    tap.d = o.d;
    tap.s = o.n;
    return tap;
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
    if (finishing) text = "完成巡查已记下" + (n ? "，等 " + n + " 项发送后提交" : held.length ? "，待“需处理”各项重试或放弃后提交" : "，待发送");
    if (halted) text += (text ? "：" : "") + halted;
    else if ((n || finishing) && navigator.onLine === false) text += "（无信号，恢复后自动发送）";
    else if (n && memOnly) text += "（照片只存在本页，请保持此页打开直到发送完成）";
    if (extra) text = extra + (text ? " " + text : "");
    bar.textContent = text;
    bar.hidden = !text;
    bar.className = "pq" + (n || halted || finishing ? " wait" : "");
  }

  function unsynced() {
    for (var i = 0; i < queue.length; i++) {
      var row = rowOf(queue[i].i);
      if (row) badge(row, "未同步");
    }
  }

  // --- 需处理: taps the server could not take ----------------------------------------------
  function heldOf(item) {
    for (var i = 0; i < held.length; i++) if (held[i].i === item) return held[i];
    return null;
  }

  function labelOf(tap) {  // the item's text (without the row's 未同步/需处理 badge)
    var row = rowOf(tap.i), pt = row && row.querySelector(".pt"), text = "", c;
    for (c = pt ? pt.firstChild : null; c; c = c.nextSibling) if (c.nodeType === 3) text += c.nodeValue;
    return text.replace(/^\s+|\s+$/g, "") || tap.x || "检查项";
  }

  function drawHeld() {  // one <li> per held tap, from the page's <template> in #pa
    if (!box || !boxList) return;
    while (boxList.firstChild) boxList.removeChild(boxList.firstChild);
    var tpl = box.querySelector("template"), i, t, li;
    for (i = 0; tpl && i < held.length; i++) {
      t = held[i];
      li = tpl.content.firstElementChild.cloneNode(true);
      li.setAttribute("data-k", t.k);
      li.querySelector(".pa-t").textContent = labelOf(t) + " · " + (LABELS[t.r] || t.r) + (t.n ? "：" + t.n : "");
      li.querySelector(".error").textContent = t.m;
      boxList.appendChild(li);
    }
    var n = box.querySelector("[data-count]");
    if (n) n.textContent = held.length;
    box.hidden = !held.length;
  }

  function dropHeld(t) {
    var i = held.indexOf(t);
    if (i >= 0) held.splice(i, 1);
    saveHeld();
  }

  // Keep a tap the server refused, with the reason; the row shows what the server has.
  function hold(tap, message, next) {
    delete tap.m;
    var row = rowOf(tap.i), old = heldOf(tap.i), file = mem[tap.k];
    if (pending(tap.i)) { delete mem[tap.k]; return; }  // a newer choice of this item is on its way
    if (old) {
      if (old.k !== tap.k) delete mem[old.k];
      dropHeld(old);
    }
    if (next) truth[tap.i] = next.cloneNode(true);
    if (row && !row.querySelector(".pp") && (next || truth[tap.i])) {
      var fresh = next || truth[tap.i].cloneNode(true);
      row.parentNode.replaceChild(fresh, row);
      row = fresh;
    }
    tap.m = message;
    tap.x = labelOf(tap);
    held.push(tap);
    if (file) mem[tap.k] = file;
    saveHeld();
    if (row) badge(row, "需处理");
    drawHeld();
  }

  function retry(t) {
    dropHeld(t);
    delete t.m;
    delete t.x;
    t.t = new Date().toISOString();
    halted = "";
    drawHeld();
    enqueue(stamp(t), mem[t.k]);
  }

  function discard(t) {
    dropHeld(t);
    delete mem[t.k];
    var row = rowOf(t.i);
    if (row && !pending(t.i)) {
      badge(row, "");
      for (var c = row.firstChild; c; c = c.nextSibling) {
        if (c.nodeType === 1 && c.className === "error") { row.removeChild(c); break; }
      }
    }
    drawHeld();
  }

  var REASONS = {
    404: "此检查项已不在本巡查表中（或巡查已不属于您），未能保存。",
    409: "巡查已结束，此项未能保存。",
    413: "照片太大，超过上传限制，未能保存：请放弃此项，重新点“有问题”并拍照。",
    422: "内容不符合要求，未能保存。"
  };

  // A refusal in plain words (a proxy's or the server's short text, no markup) is shown as it is.
  function plainReason(xhr) {
    var text = (xhr.responseText || "").replace(/^\s+|\s+$/g, "");
    return text && text.length <= 200 && text.indexOf("<") < 0 ? text : "";
  }

  function reasonFor(status, tap) {
    if (status === 413 && !tap.ph && !mem[tap.k]) return "内容太大，超过上传限制，未能保存：请缩短问题说明后重试。";
    return REASONS[status];
  }

  // --- the queue ----------------------------------------------------------------------------
  function enqueue(tap, file) {
    var i, old, was = heldOf(tap.i);
    if (was && was !== tap) {  // a new choice of this item replaces the one that could not be saved
      if (tap.r === "problem" && !file && !tap.ph && (was.ph || mem[was.k])) {
        tap.ph = was.ph;
        if (mem[was.k]) file = mem[was.k];
      }
      delete mem[was.k];
      dropHeld(was);
      drawHeld();
    }
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
      body.append("device", tap.d);
      body.append("seq", tap.s);
      if (tap.n) body.append("note", tap.n);
      if (photo) body.append("photo", photo, "photo.jpg");
    } else {
      xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
      // Key and device (base 36), numbers: no escaping needed, the smallest body that says it all.
      body = "result=" + tap.r + "&key=" + tap.k + "&tapped_at=" + Date.parse(tap.t) + "&device=" + tap.d + "&seq=" + tap.s;
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
    if (next) truth[tap.i] = next.cloneNode(true);
    // The offline shell's kept copy of this checklist (the worker, /sw.js) takes the saved row too.
    var sw = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (next && sw) sw.postMessage({ patrol: list.getAttribute("data-patrol"), item: tap.i, row: html });
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
        // saved, repeat or stale (X-Tap-Status): either way the server's row is the truth and
        // nothing is left to send; a stale tap was overtaken by a newer one of this phone.
        remove(tap);
        settle(tap, xhr.responseText);
        wait = 2000;
        if (!queue.length) memOnly = false;
        progress();
        banner();
        flush();
        sendFinish();  // a 完成巡查 waiting for the taps goes once the last is saved
      } else if (status === 409) {  // finished (elsewhere): nothing can change any more
        var rest = queue.slice(0), i;
        queue = [];
        save();
        for (i = 0; i < rest.length; i++) hold(rest[i], REASONS[409], null);
        halted = "巡查已结束，不能再修改。";
        progress();
        banner();
      } else if (status === 422 || status === 404 || status === 413) {  // this tap cannot be saved
        var next = status === 422 ? fresh(xhr.responseText || "") : null, why = next && next.querySelector(".error");
        var file = mem[tap.k];
        remove(tap);
        if (file) mem[tap.k] = file;
        hold(tap, (why && why.textContent) || plainReason(xhr) || reasonFor(status, tap), next);
        if (next && tap.r === "problem" && rowOf(tap.i) === next) openPanel(next, tap.n);
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
    var tap = stamp({ i: itemOf(row), r: result, k: newKey(), t: new Date().toISOString(), u: b.getAttribute("formaction") });
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
  if (box) {
    box.addEventListener("click", function (e) {
      var b = closest(e.target, "button"), li = b && closest(b, "li"), k = li && li.getAttribute("data-k"), i;
      if (!k) return;
      for (i = 0; i < held.length; i++) {
        if (held[i].k !== k) continue;
        if (b.hasAttribute("data-retry")) retry(held[i]);
        else if (b.hasAttribute("data-discard")) discard(held[i]);
        return;
      }
    });
  }

  // --- 完成巡查: kept on the phone like a tap, sent once everything before it is saved -------------
  var fin = document.getElementById("pf"), finButton = fin && fin.querySelector("button");
  var finLabel = finButton ? finButton.textContent : "";

  function keepFinish(f) {
    finishing = f;
    put(FINISH, f ? [f] : []);
    if (finButton) finButton.textContent = f ? finLabel + "（待发送）" : finLabel;
  }

  function sendFinish() {
    if (!finishing || finBusy || inflight || queue.length || halted) return;
    if (held.length) { banner(); return; }  // a decision first: 重试 or 放弃
    clearTimeout(finTimer);
    finBusy = true;
    var xhr = new XMLHttpRequest(), body = new FormData(), url = finishing.u;
    body.append("csrf_token", csrf());
    body.append("client_key", finishing.k);
    xhr.open("POST", url + (url.indexOf("?") < 0 ? "?f" : "&f"));
    xhr.timeout = 30000;
    xhr.setRequestHeader("X-CSRFToken", csrf());
    var end = function (status) {
      if (!finBusy) return;
      finBusy = false;
      var login = xhr.responseURL && /\/login|\/kiosk/.test(xhr.responseURL);
      if (status >= 200 && status < 300 && !login) {  // finished (now, or by an earlier send of the same key)
        keepFinish(null);
        window.location.replace(window.location.pathname);
      } else if (status === 422 || status === 409) {  // not finished: say why, keep nothing
        keepFinish(null);
        banner(plainReason(xhr) || "未能完成巡查，请检查后重试。");
      } else if (login || status === 400 || status === 401 || status === 403) {
        halted = "登录已过期或页面已失效：请重新登录或刷新页面，未发送的内容仍保存在手机上，会自动补发。";
        banner();
      } else {  // no signal, timeout, server busy: again later
        banner();
        finTimer = setTimeout(sendFinish, finWait);
        finWait = Math.min(finWait * 2, 60000);
      }
    };
    xhr.onload = function () { end(xhr.status); };
    xhr.onerror = xhr.ontimeout = xhr.onabort = function () { end(0); };
    xhr.send(body);
  }

  if (fin) {
    (function () {  // 完成巡查 pressed earlier (without signal, or before a reload) is still to be sent
      var kept = load(FINISH)[0];
      if (kept && kept.u && kept.k) keepFinish(kept);
    })();
    fin.addEventListener("submit", function (e) {
      e.preventDefault();
      if (finishing) { banner(); sendFinish(); return; }
      if (!queue.length && held.length) {
        banner("还有 " + held.length + " 项需处理：请重试或放弃后再完成巡查。");
        if (box) box.scrollIntoView();
        return;
      }
      var key = fin.querySelector("input[name=client_key]");
      keepFinish({ u: fin.getAttribute("action"), k: key ? key.value : "" });
      halted = "";
      finWait = 2000;
      banner();
      flush();
      sendFinish();
    });
  }

  window.addEventListener("online", function () { wait = finWait = 2000; banner(); flush(); sendFinish(); });
  window.addEventListener("offline", function () { unsynced(); banner(); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { flush(); sendFinish(); } });

  // Resume: remember the server's rows, lay the queued taps over them, then send them. Taps
  // queued by an older version of this page have no number yet: they get theirs in queue order.
  (function () {
    var i, t, row, kept = [], rows = list.querySelectorAll("li.pi");
    for (i = 0; i < rows.length; i++) truth[itemOf(rows[i])] = rows[i].cloneNode(true);
    for (i = 0; i < queue.length; i++) {
      t = queue[i];
      row = t && rowOf(t.i);
      if (!row || !t.k || !t.u) continue;  // an item no longer on this checklist
      if (!t.d || !t.s) stamp(t);
      kept.push(t);
      show(row, t.r);
      if (t.r === "problem") noteOf(row, t.n || "");
      badge(row, "未同步");
    }
    queue = kept;
    save();
    kept = [];
    for (i = 0; i < held.length; i++) {
      t = held[i];
      if (!t || !t.k || !t.u || !t.m) continue;
      kept.push(t);
      row = rowOf(t.i);
      if (row && !pending(t.i)) badge(row, "需处理");
    }
    held = kept;
    saveHeld();
    drawHeld();
    progress();
    banner();
    flush();
    sendFinish();
  })();
})();
