/* The live dispatch queue: #queue polls itself every 5 s (hx-trigger). This file keeps the
   polls cheap and harmless, and keeps the clerk's place when a card is dispatched; without it
   the page still works (filters are a plain GET form, dispatch a plain POST that comes back to
   the card's anchor), it just does not update by itself. */
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
      return;
    }
    // A dispatch is on its way: its answer replaces its card, so leave the list until it is in.
    if (focusMsg && e.detail.requestConfig && isQueue(e.detail.requestConfig.elt)) {
      e.detail.shouldSwap = false;
      return;
    }
    if (e.detail.shouldSwap) {
      anchor = anchorOf(target);
      focused = active && target.contains(active) ? active.id : null;
    }
  });

  /* Keeping your place. A dispatch from a card answers with that card alone, swapped in place
     (hx-target="closest li"): the page does not move, and focus goes to the card's message
     (已派给 …，16:30 前到场). A poll that then files the card under 已派单 would shift the rows
     under the thumb: the first row on screen is kept where it was, and the messages of this
     visit's dispatches stay on their cards. */
  var anchor = null;      // {id, top} of the first row on screen before a poll's swap
  var said = {};          // card id → the message its dispatch answered with
  var focusMsg = null;    // the id of a message to focus once it is in the page
  var focused = null;     // the id of what had focus in the list before a poll's swap

  function anchorOf(queue) {
    var rows = queue.querySelectorAll("li[id]");
    for (var i = 0; i < rows.length; i++) {
      var top = rows[i].getBoundingClientRect().top;
      if (top >= 0 && !said[rows[i].id]) { return {id: rows[i].id, top: top}; }
    }
    return null;
  }

  document.addEventListener("htmx:beforeRequest", function (e) {
    if (e.detail.elt && e.detail.elt.matches && e.detail.elt.matches("form.qd")) {
      var li = e.detail.elt.closest("li[id]");
      if (li) { focusMsg = "qm" + li.id.slice(1); }
    }
  });

  function dispatchEnded(e) {  // answered (the swap has run by now) or lost: polls may swap again
    if (e.detail.elt && e.detail.elt.matches && e.detail.elt.matches("form.qd")) { focusMsg = null; }
  }
  document.addEventListener("htmx:afterRequest", dispatchEnded);
  document.addEventListener("htmx:sendError", dispatchEnded);

  document.addEventListener("htmx:afterSwap", function (e) {
    var elt = e.detail.elt;
    if (isQueue(elt)) {  // a poll (or a filter) replaced the list
      Object.keys(said).forEach(function (id) {
        var li = document.getElementById(id);
        if (li && !li.querySelector(".qmsg")) {
          li.insertAdjacentHTML("beforeend", said[id]);
          li.classList.add("just");
        }
      });
      if (anchor) {
        var row = document.getElementById(anchor.id);
        if (row) { window.scrollBy(0, row.getBoundingClientRect().top - anchor.top); }
        anchor = null;
      }
      if (focused) {  // the same element of the new list (a message put back above included)
        var again = document.getElementById(focused);
        if (again && document.activeElement !== again) { again.focus({preventScroll: true}); }
        focused = null;
      }
      return;
    }
    if (focusMsg) {  // a card answered its dispatch
      var msg = document.getElementById(focusMsg);
      if (msg) {
        if (!msg.classList.contains("error")) { said[msg.parentNode.id] = msg.outerHTML; }
        msg.focus({preventScroll: true});
        focusMsg = null;
      }
    }
  });
})();
