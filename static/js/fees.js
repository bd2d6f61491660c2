/* propsvc: 今日催费 on the steward's phone — a contact record is kept even when the signal drops.
   Without this file the forms are plain posts that redirect back (it all still works).

   Each form carries the server's one-time key (client_key, core.idempotency). On 保存 the
   form's fields go into a queue in localStorage ("propsvc.fees.queue") before they are sent;
   the queue is sent in order, one request at a time, retried with backoff (2 s … 60 s) and at
   once when the browser is online again. A resend after a lost answer carries the same key, so
   the server saves it once (a repeat is answered like the first). A refusal (422/403/404) is
   not retried: the row shows the reason and the form opens again. Only what the form holds is
   kept (method, result, date, note): no phone or ID numbers. ES5 only. */
(function () {
  "use strict";
  var list = document.querySelector(".fee-round");
  if (!list || !window.JSON || !window.XMLHttpRequest) return;
  var STORE = "propsvc.fees.queue", bar = document.getElementById("fee-queue");
  var busy = false, wait = 2000, timer = null;

  function load() {
    try { var q = JSON.parse(window.localStorage.getItem(STORE) || "[]"); return q && q.length !== undefined ? q : []; }
    catch (e) { return []; }
  }
  function save(q) {
    try { if (q.length) window.localStorage.setItem(STORE, JSON.stringify(q)); else window.localStorage.removeItem(STORE); }
    catch (e) { /* private mode: the queue lives in memory only */ }
  }
  var queue = load();

  function row(unit) { return document.getElementById("fee-" + unit); }
  function show() {
    if (!bar) return;
    bar.hidden = !queue.length;
    bar.textContent = queue.length ? ("有 " + queue.length + " 条催费记录未同步，有信号后自动发送。") : "";
    for (var i = 0; i < queue.length; i++) {
      var li = row(queue[i].unit);
      if (li) li.className = "pending";
    }
  }
  function mark(unit, text, ok) {
    var li = row(unit);
    if (!li) return;
    li.className = ok ? "done" : "";
    var old = li.querySelectorAll("p.error");  // an earlier refusal of this unit: answered now
    for (var i = 0; i < old.length; i++) old[i].parentNode.removeChild(old[i]);
    var p = document.createElement("p");
    p.className = ok ? "small" : "error";
    p.textContent = text;
    var det = li.querySelector("details");
    li.insertBefore(p, det);
    if (det) det.open = !ok;
  }

  function encode(fields) {
    var out = [];
    for (var k in fields) if (fields.hasOwnProperty(k)) out.push(encodeURIComponent(k) + "=" + encodeURIComponent(fields[k]));
    return out.join("&");
  }

  function pump() {
    if (busy || !queue.length) { show(); return; }
    busy = true;
    var job = queue[0], xhr = new XMLHttpRequest();
    xhr.open("POST", job.url, true);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.onload = function () {
      busy = false;
      if (xhr.status >= 500) return retry();
      queue.shift(); save(queue);
      wait = 2000;
      if (xhr.status < 400) mark(job.unit, "✓ 已保存：" + job.label, true);
      else {
        var m = /<p class="error" role="alert">([^<]*)</.exec(xhr.responseText || "");
        mark(job.unit, "未保存：" + (m ? m[1] : "请刷新页面后重试。"), false);
      }
      pump();
    };
    xhr.onerror = xhr.ontimeout = function () { busy = false; retry(); };
    xhr.timeout = 15000;
    xhr.send(encode(job.fields));
    show();
  }
  function retry() {
    show();
    clearTimeout(timer);
    timer = setTimeout(pump, wait);
    wait = Math.min(wait * 2, 60000);
  }

  list.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("fee-contact")) return;
    ev.preventDefault();
    var fields = {}, els = form.elements, label = [];
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (!el.name || ((el.type === "radio" || el.type === "checkbox") && !el.checked)) continue;
      fields[el.name] = el.value;
      if (el.type === "radio") label.push(el.parentNode.textContent.replace(/\s+/g, ""));
    }
    if (!fields.result) { mark(form.getAttribute("data-unit"), "请选择结果。", false); return; }
    queue.push({ url: form.action, unit: form.getAttribute("data-unit"), fields: fields, label: label.join(" · ") });
    save(queue);
    var det = form.parentNode;
    if (det && det.tagName === "DETAILS") det.open = false;
    pump();
  });
  window.addEventListener("online", function () { wait = 2000; pump(); });
  pump();
})();
