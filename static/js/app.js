/* propsvc: small progressive helpers. Everything works without this file. */
(function () {
  "use strict";
  // Kiosk idle lock: after the configured idle time with no touch or key, sign out and go
  // back to the lock screen, leaving nothing personal on screen. location.replace keeps the
  // page out of history; pages are no-store and need a session, so Back shows nothing.
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  if (idle > 0) {
    var timer;
    // The lock POST carries the page's CSRF token like every POST (the one htmx sends from
    // the body's hx-headers); a page whose token went stale is still locked by the server.
    var token = "";
    try { token = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { token = ""; }
    var lock = function () {
      document.body.innerHTML = "";
      var xhr = new XMLHttpRequest();
      var go = function () { window.location.replace("/kiosk"); };
      xhr.open("POST", "/kiosk/lock");
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.onloadend = go;
      xhr.timeout = 5000;
      xhr.ontimeout = go;
      xhr.send();
    };
    var reset = function () {
      clearTimeout(timer);
      timer = setTimeout(lock, idle * 1000);
    };
    ["pointerdown", "keydown", "input", "wheel"].forEach(function (ev) {
      document.addEventListener(ev, reset, { passive: true });
    });
    reset();
  }

  // The offline shell (propsvc/core/offline.py): a page for a steward registers the service
  // worker; any other page (the sign-in page after 退出, a kiosk, another role) deletes what it
  // kept and unregisters it, so nothing kept outlives the session. The offline page itself (shown
  // by the worker) leaves it alone.
  var sw = navigator.serviceWorker, swUrl = body.getAttribute("data-sw");
  if (sw && swUrl) {
    window.addEventListener("load", function () { sw.register(swUrl, { scope: "/" }).catch(function () {}); });
  } else if (sw && !document.querySelector("[data-offline-page]")) {
    sw.getRegistrations().then(function (regs) {
      regs.forEach(function (r) { r.unregister(); });
      if (!window.caches) return;
      return caches.keys().then(function (names) {
        return Promise.all(names.filter(function (n) { return n.indexOf("propsvc-") === 0; })
          .map(function (n) { return caches.delete(n); }));
      });
    }).catch(function () {});
  }

  // 更多 (the bottom bar's <details>): a tap outside the open menu, or Esc, closes it.
  document.addEventListener("click", function (e) {
    var open = document.querySelector("details.more-menu[open]");
    if (open && !open.contains(e.target)) open.open = false;
  });
  document.addEventListener("keydown", function (e) {
    var open = document.querySelector("details.more-menu[open]");
    if (open && (e.key === "Escape" || e.key === "Esc")) { open.open = false; open.querySelector("summary").focus(); }
  });

  // A refused form comes back with its message next to the field, which on a phone may be far
  // below the fold: bring the first field with an error into view and put the cursor in it.
  var showError = function (root) {
    var f = root && root.querySelector(".has-error");
    if (!f) return;
    f.scrollIntoView({ block: "center" });
    var input = f.querySelector("input:not([type=hidden]), select, textarea");
    if (input) input.focus({ preventScroll: true });
  };
  showError(document);

  // 查找 (and Enter in a unit search box) submit the page's find form, a plain GET of the search
  // for pages seen without script. With script the look-up is live: refresh it in place instead
  // of leaving the page (and the rest of what was typed).
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!window.htmx || !f.hasAttribute || !f.hasAttribute("data-find") || !f.id) return;
    var sel = '[form="' + f.id + '"]';
    var chosen = document.querySelector("input[type=radio]" + sel + ":checked[hx-get]");
    var box = document.querySelector("input" + sel + "[hx-get]:not([type=radio])");
    if (!chosen && !box) return;  // no live look-up on this page: the GET goes ahead
    e.preventDefault();
    if (chosen) { window.htmx.trigger(chosen, "change"); } else { window.htmx.trigger(box, "search"); }
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    var d = e.detail || {}, c = d.requestConfig;
    if (c && c.verb === "post" && c.elt && c.elt.tagName === "FORM" && d.xhr && d.xhr.status >= 400) {
      showError(d.target && d.target.querySelector ? d.target : document);
    }
  });
})();
