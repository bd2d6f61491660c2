/* propsvc: fill in what the page knows once a unit is chosen: a field marked
   data-prefill="ROLE_RADIOS" takes the value the lookup block (#lookup, swapped in by htmx)
   lists for the checked radio of that name in data-prefill-values (JSON), e.g. the release
   slip's applicant: the unit's owner, its renovation lead or its one tenant. Only while the
   field is blank or still holds what was filled in (data-prefilled), and not while it has the
   focus: typed text is never overwritten. The server fills the same value into a page it
   renders whole, so this file only keeps it right after a swap or a change of role. ES5 only. */
(function () {
  "use strict";

  function fill() {
    var lookup = document.getElementById("lookup"), values = {}, fields, i, f, by, v, last;
    try { values = JSON.parse((lookup && lookup.getAttribute("data-prefill-values")) || "{}"); } catch (e) { values = {}; }
    fields = document.querySelectorAll("[data-prefill]");
    for (i = 0; i < fields.length; i++) {
      f = fields[i];
      by = document.querySelector("input[name='" + f.getAttribute("data-prefill") + "']:checked");
      v = (by && values[by.value]) || "";
      last = f.getAttribute("data-prefilled");
      if (f === document.activeElement) continue;  // being typed in: the person's own
      if (f.value === "" || (last !== null && f.value === last)) {
        f.value = v;
        f.setAttribute("data-prefilled", v);
      }
    }
  }

  document.addEventListener("htmx:afterSwap", fill);  // the lookup block swapped in (same task as the swap)
  document.addEventListener("change", function (e) {
    var name = e.target && e.target.name;
    if (name && document.querySelector("[data-prefill='" + name + "']")) fill();
  });
})();
