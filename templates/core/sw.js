/* propsvc offline shell: the steward's phone without signal (propsvc/core/offline.py says what and why).
   Navigations go to the network first; a page of the allow-list that the server marked (X-Offline-Copy)
   is kept on its way. Without signal a navigation gets the kept copy (with a line saying when it was
   saved) or the offline page, never the browser's error page. Hashed CSS/JS: cache first. A saved patrol
   tap's row, posted here by patrol.js, is written into the kept checklist. POSTs, htmx requests and
   everything else pass through untouched and are never stored. */
"use strict";
var VERSION = "{{ version }}";
var SHELL = "propsvc-shell-" + VERSION;  // the hashed CSS/JS and the offline page
var PAGES = "propsvc-pages-" + VERSION;  // the last 今日 and patrol checklists opened
var OFFLINE = {{ offline_url|tojson }};
var SHELL_URLS = {{ shell|tojson }};
var KEEP = {{ pages|tojson }}.map(function (p) { return new RegExp(p); });
var NEVER = new RegExp({{ never|tojson }});
var MAX_PATROLS = {{ max_patrols }};
var HEADER = {{ header|tojson }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    // The offline page without cookies: nobody's name or data on it.
    return cache.addAll(SHELL_URLS.concat([new Request(OFFLINE, { credentials: "omit" })]));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("propsvc-") === 0 && n !== SHELL && n !== PAGES;  // an older deploy's
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function keepable(url) {
  if (url.search || NEVER.test(url.pathname)) return false;
  for (var i = 0; i < KEEP.length; i++) if (KEEP[i].test(url.pathname)) return true;
  return false;
}

function dropPages() {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("propsvc-pages-") === 0; })
      .map(function (n) { return caches.delete(n); }));
  });
}

// Keep a marked page (with the time it was saved); at most MAX_PATROLS checklists besides 今日.
function keep(url, resp) {
  return resp.blob().then(function (body) {
    var headers = new Headers(resp.headers);
    headers.set("X-Saved-At", String(Date.now()));
    return caches.open(PAGES).then(function (cache) {
      return cache.put(url.pathname, new Response(body, { status: 200, headers: headers })).then(function () {
        return cache.keys();
      }).then(function (reqs) {
        var patrols = reqs.filter(function (r) { return /^\/patrols\/\d+$/.test(new URL(r.url).pathname); });
        return Promise.all(patrols.slice(0, Math.max(patrols.length - MAX_PATROLS, 0)).map(function (r) {
          return cache.delete(r);
        }));
      });
    });
  });
}

function pad(n) { return (n < 10 ? "0" : "") + n; }

// The kept copy, saying so at the top of the page's <main>.
function keptCopy(hit) {
  var at = new Date(parseInt(hit.headers.get("X-Saved-At"), 10) || Date.now());
  return hit.text().then(function (html) {
    var note = '<p class="flash error" role="status" data-offline-copy>无信号：这是 ' + (at.getMonth() + 1) + "月" +
      at.getDate() + "日 " + pad(at.getHours()) + ":" + pad(at.getMinutes()) +
      " 保存的页面，可能不是最新的。已点的巡查项先存在手机上，恢复信号后自动发送。</p>";
    var i = html.indexOf('<main id="main"'), j = i < 0 ? -1 : html.indexOf(">", i);
    if (j >= 0) html = html.slice(0, j + 1) + note + html.slice(j + 1);
    var headers = new Headers(hit.headers);
    headers.delete("Content-Length");
    return new Response(html, { status: 200, headers: headers });
  });
}

function offlinePage(post) {
  return caches.open(SHELL).then(function (cache) { return cache.match(OFFLINE, { ignoreVary: true }); }).then(function (hit) {
    if (!hit) {
      return new Response('<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
        "<title>没有网络连接</title><h1>没有网络连接</h1><p>手机现在没有信号，恢复信号后请重新打开此页。</p>",
        { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
    }
    if (!post) return hit;
    return hit.text().then(function (html) {  // a form sent without signal: say it was not sent
      return new Response(html.replace("data-offline-post hidden", "data-offline-post"),
        { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
    });
  });
}

function navigate(event, req) {
  var url = new URL(req.url);
  var post = req.method !== "GET";
  if (post && (url.pathname === "/logout" || url.pathname === "/kiosk/lock")) {
    event.waitUntil(dropPages());  // signing out: nothing kept stays, whatever the network does
  } else if (!post && (url.pathname === "/login" || url.pathname === "/kiosk")) {
    event.waitUntil(dropPages());  // the session is over (signed out, timed out, locked)
  }
  return fetch(req).then(function (resp) {
    if (!post && resp.status === 200 && resp.type === "basic" && resp.headers.get(HEADER) === "1" && keepable(url)) {
      event.waitUntil(keep(url, resp.clone()));
    }
    return resp;
  }, function () {
    if (post || !keepable(url)) return offlinePage(post);
    return caches.open(PAGES).then(function (cache) {
      return cache.match(url.pathname, { ignoreVary: true });
    }).then(function (hit) { return hit ? keptCopy(hit) : offlinePage(false); });
  });
}

// A tap the server saved (patrol.js posts its answer, the item's row, here): the row goes into the
// kept checklist too, so a reload without signal shows what is saved. One patch at a time (read,
// change, write). The taps themselves never pass through this worker.
var patching = Promise.resolve();

function patchRow(patrol, item, row) {
  var page = "/patrols/" + patrol;
  return caches.open(PAGES).then(function (cache) {
    return cache.match(page, { ignoreVary: true }).then(function (hit) {
      if (!hit) return;
      return hit.text().then(function (html) {
        var re = new RegExp('<li id="i' + item + '"[\\s\\S]*?</li>');
        if (!re.test(html)) return;
        var headers = new Headers(hit.headers);
        headers.delete("Content-Length");
        return cache.put(page, new Response(html.replace(re, function () { return row; }), { status: 200, headers: headers }));
      });
    });
  });
}

self.addEventListener("message", function (event) {
  var d = event.data || {}, row = typeof d.row === "string" ? d.row.trim() : "";
  if (!/^\d{1,10}$/.test(String(d.patrol)) || !/^\d{1,10}$/.test(String(d.item))) return;
  if (row.indexOf('<li id="i' + d.item + '"') !== 0 || row.length > 20000) return;
  patching = patching.then(function () { return patchRow(d.patrol, d.item, row); }).catch(function () {});
  event.waitUntil(patching);
});

function asset(event, req) {
  return caches.match(req, { ignoreVary: true, ignoreSearch: true }).then(function (hit) {
    return hit || fetch(req).then(function (resp) {
      if (resp.status === 200 && resp.type === "basic") {
        var copy = resp.clone();
        event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.put(req, copy); }));
      }
      return resp;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var req = event.request, url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate") return event.respondWith(navigate(event, req));
  if (req.method === "GET" && /^\/static\/[0-9a-f]{10}\//.test(url.pathname)) return event.respondWith(asset(event, req));
  // anything else (htmx requests, patrol taps, reveals, uploads): the network, never stored
});
