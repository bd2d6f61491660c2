/* propsvc: small progressive helpers. Everything works without this file. */
(function () {
  "use strict";
  // Kiosk idle lock: after the configured idle time with no touch or key, go back to the
  // lock screen and leave nothing personal on screen (replace, so Back cannot return).
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  if (idle > 0) {
    var timer;
    var lock = function () {
      var f = document.createElement("form");
      f.method = "post";
      f.action = "/kiosk/lock";
      document.body.innerHTML = "";
      document.body.appendChild(f);
      f.submit();
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
})();
