/* propsvc: item rows of the release-slip form (a whole move-out on one slip).
   With this file the fieldset#items gets the class "live": + 添加一行 (htmx: GET ?part=row
   appends one row from the page's own template; its name field has autofocus) and a 删除 button
   on each row show, 更多行 (the no-JavaScript way: the form posted back with blank rows) hides.
   Rows are renumbered in their hidden labels after every change. At data-max rows no row is
   requested and #lines-note says why. The server keeps every posted line and checks them
   again; this file only arranges rows. ES5 only. */
(function () {
  "use strict";
  var box = document.getElementById("items");
  var list = document.getElementById("item-rows");
  if (!box || !list || !window.htmx) return;
  var max = parseInt(box.getAttribute("data-max") || "0", 10);
  var note = document.getElementById("lines-note");
  box.classList.add("live");

  function rows() { return list.querySelectorAll(".item-row"); }

  function say(text) { if (note) note.textContent = text; }

  function renumber() {
    var all = rows();
    for (var i = 0; i < all.length; i++) {
      var labels = all[i].querySelectorAll("label.vh");
      if (labels[0]) labels[0].textContent = "第" + (i + 1) + "项物品名称";
      if (labels[1]) labels[1].textContent = "第" + (i + 1) + "项数量";
      var del = all[i].querySelector("[data-remove-line]");
      if (del) del.setAttribute("aria-label", "删除第" + (i + 1) + "项");
    }
  }

  box.addEventListener("click", function (e) {
    var del = e.target.closest && e.target.closest("[data-remove-line]");
    if (!del) return;
    var row = del.closest(".item-row");
    var all = rows();
    if (!row) return;
    var next = row.nextElementSibling || row.previousElementSibling;
    if (all.length <= 1) {  // the last row is emptied, not removed
      row.querySelector("input[type=text]").value = "";
      row.querySelector("input[type=number]").value = "1";
      next = row;
    } else {
      row.parentNode.removeChild(row);
    }
    say("");
    renumber();
    var focus = next && next.querySelector ? next.querySelector("input[type=text]") : null;
    (focus || document.getElementById("add-line")).focus();
  });

  document.body.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    if (!elt || elt.id !== "add-line") return;
    if (max && rows().length >= max) {
      e.preventDefault();
      say("已有" + rows().length + "行，不能再添加；一张放行条最多" + max + "项物品，其余物品请另开一张放行条。");
    }
  });

  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail && e.detail.target === list) renumber();
  });
})();
