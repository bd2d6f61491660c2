/* propsvc: the offline page (templates/core/offline.html, shown by the service worker when a page
   cannot be opened without signal). Lists what waits on this phone to be sent — the patrol taps
   queued by patrol.js ("propsvc.patrol.<id>"), those held for a decision (".held") and a 完成巡查
   pressed without signal (".finish") — and the pages kept for use without signal, each with its
   link. Reloads by itself when the signal is back. ES5. */
(function () {
  "use strict";
  var wait = document.getElementById("off-wait"), kept = document.getElementById("off-pages");
  if (!wait) return;

  // Back online: open the page again — or, after a form that was not sent, the home page (a reload
  // would send the form again unasked).
  var post = document.querySelector("[data-offline-post]");
  window.addEventListener("online", function () {
    if (post && !post.hidden) window.location.replace("/");
    else window.location.reload();
  });

  function count(name) {
    try {
      var v = JSON.parse(window.localStorage.getItem(name) || "null");
      return Object.prototype.toString.call(v) === "[object Array]" ? v.length : (v ? 1 : 0);
    } catch (e) { return 0; }
  }

  function item(list, text, href, note) {
    var li = document.createElement("li"), el = href ? document.createElement("a") : document.createElement("span");
    if (href) el.href = href;
    el.textContent = text;
    li.appendChild(el);
    if (note) {
      var s = document.createElement("span");
      s.className = "muted";
      s.textContent = note;
      li.appendChild(s);
    }
    list.appendChild(li);
    return el;
  }

  // The kept pages: path -> title (without the site's name), from the worker's cache.
  function keptPages() {
    if (!window.caches) return Promise.resolve({});
    return caches.keys().then(function (names) {
      var name = names.filter(function (n) { return n.indexOf("propsvc-pages-") === 0; })[0];
      if (!name) return [];
      return caches.open(name).then(function (cache) {
        return cache.keys().then(function (reqs) {
          return Promise.all(reqs.map(function (r) {
            return cache.match(r).then(function (resp) {
              return resp.text().then(function (html) {
                var m = /<title>([^<]*)<\/title>/.exec(html), d = new Date(parseInt(resp.headers.get("X-Saved-At"), 10));
                return { path: new URL(r.url).pathname, title: (m ? m[1] : "").replace(/\s*·\s*物业客服\s*$/, "").replace(/&amp;/g, "&"),
                         at: isNaN(d) ? "" : (d.getMonth() + 1) + "月" + d.getDate() + "日 " + ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2) };
              });
            });
          }));
        });
      });
    }).then(function (pages) {
      var out = {};
      (pages || []).forEach(function (p) { out[p.path] = p; });
      return out;
    }, function () { return {}; });
  }

  function waiting(pages) {
    var ids = {}, key, m, i, list = wait.querySelector("ul"), any = false;
    for (i = 0; i < window.localStorage.length; i++) {
      key = window.localStorage.key(i);
      m = /^propsvc\.patrol\.(\d+)(\.held|\.finish)?$/.exec(key || "");
      if (m) ids[m[1]] = true;
    }
    Object.keys(ids).sort().forEach(function (id) {
      var base = "propsvc.patrol." + id, parts = [], n = count(base), h = count(base + ".held");
      if (n) parts.push(n + " 项待发送");
      if (h) parts.push(h + " 项需处理");
      if (count(base + ".finish")) parts.push("完成巡查待发送");
      if (!parts.length) return;
      any = true;
      var page = pages["/patrols/" + id];
      item(list, (page && page.title) || "巡查 #" + id, page ? "/patrols/" + id : null, "：" + parts.join("，"));
    });
    wait.querySelector("[data-none]").hidden = any;
  }

  function available(pages) {
    if (!kept) return;
    var list = kept.querySelector("ul"), paths = Object.keys(pages).sort();
    paths.forEach(function (p) { item(list, pages[p].title || p, p, pages[p].at ? " · " + pages[p].at + " 保存" : ""); });
    kept.hidden = !paths.length;
  }

  keptPages().then(function (pages) {
    waiting(pages);
    available(pages);
  });
})();
