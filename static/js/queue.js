/* The live dispatch queue: #queue polls itself every 5 s (hx-trigger). This file only keeps the
   polls cheap and harmless; without it the page still works (filters are a plain GET form,
   dispatch a plain POST), it just does not update by itself. */
(function () {
  "use strict";
  var isQueue = function (elt) { return elt && elt.id === "queue"; };

  document.addEventListener("htmx:beforeRequest", function (e) {
    // No polling from a hidden tab; the next tick after it shows again catches up.
    if (isQueue(e.detail.elt) && document.hidden) { e.preventDefault(); }
  });

  document.addEventListener("htmx:configRequest", function (e) {
    // Send the ETag of what is on screen: unchanged costs a 304 with no body.
    var elt = e.detail.elt;
    if (isQueue(elt) && elt.getAttribute("data-etag")) {
      e.detail.headers["If-None-Match"] = elt.getAttribute("data-etag");
    }
  });

  document.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail.target;
    if (!isQueue(target)) { return; }
    var xhr = e.detail.xhr;
    var etag = xhr.getResponseHeader("ETag");
    // A 304, or a 200 the browser rebuilt from its cache after one: nothing new to show.
    if (xhr.status === 304 || (etag && etag === target.getAttribute("data-etag"))) {
      e.detail.shouldSwap = false;
      return;
    }
    // Someone is choosing a person on a card: do not pull the list from under them; the
    // screen keeps its old ETag, so the next poll brings the change.
    var active = document.activeElement;
    if (e.detail.requestConfig && isQueue(e.detail.requestConfig.elt) && active &&
        active.tagName === "SELECT" && target.contains(active)) {
      e.detail.shouldSwap = false;
    }
  });
})();
