/* [T9] A revealed number goes back to its masked form after data-remask seconds: the
   element is replaced by its <template> (the masked field with 显示 again). Without this
   file the no-JS reveal page leaves by itself (meta refresh). */
(function () {
  "use strict";
  function arm(root) {
    var els = (root.matches && root.matches("[data-remask]")) ? [root] : [];
    if (root.querySelectorAll) { els = els.concat(Array.prototype.slice.call(root.querySelectorAll("[data-remask]"))); }
    els.forEach(function (el) {
      if (el.getAttribute("data-armed")) { return; }
      el.setAttribute("data-armed", "1");
      var secs = parseInt(el.getAttribute("data-remask"), 10) || 30;
      setTimeout(function () {
        var tpl = el.querySelector("template");
        var parent = el.parentNode;
        if (!parent) { return; }
        if (tpl) {
          var node = tpl.content.cloneNode(true);
          var first = node.firstElementChild;
          parent.replaceChild(node, el);
          if (first && window.htmx) { window.htmx.process(first); }
        } else {
          parent.removeChild(el);
        }
      }, secs * 1000);
    });
  }
  document.addEventListener("htmx:load", function (e) { arm(e.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { arm(document.body); });
})();
