/* Visitors on site now [F1]: the list polls itself every minute (hx-trigger on [data-poll]).
   This file only skips polls from a hidden tab; without it the page works the same. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (e) {
    if (document.hidden && e.detail.elt && e.detail.elt.hasAttribute("data-poll")) { e.preventDefault(); }
  });
})();
