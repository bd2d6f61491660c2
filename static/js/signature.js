/* propsvc: a small signature pad for the kiosk's touch screen (release slips [S3]).
   Each <div class="sigpad" data-signature="FIELD" hidden> holds a <canvas> and a clear
   button; the pad writes a PNG data URL of the drawing into the hidden input #FIELD after
   every stroke (and empties it on 清除重签). The server decodes and checks the PNG and refuses
   a blank canvas. Pointer events: finger, pen and mouse alike. Without this file the pad stays
   hidden and the form offers signing on paper. A value already in the input (the form came
   back with an error) is drawn again, so the applicant does not sign twice. ES5 only. */
(function () {
  "use strict";

  function setup(pad) {
    var input = document.getElementById(pad.getAttribute("data-signature"));
    var canvas = pad.querySelector("canvas");
    if (!input || !canvas || !canvas.getContext) return;
    var ctx = canvas.getContext("2d");
    var drawing = false, last = null, inked = false, cssW = 320, cssH = 145;

    function size() {
      // Fill the pad's width at the screen's pixel density; keep what is drawn.
      var keep = inked ? canvas.toDataURL("image/png") : null;
      var ratio = window.devicePixelRatio || 1;
      var width = Math.max(200, Math.min(pad.clientWidth || 320, 640));
      var height = Math.round(width / 2.2);
      cssW = width;
      cssH = height;
      canvas.style.width = width + "px";
      canvas.style.height = height + "px";
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.6;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
      if (keep) restore(keep);
    }

    function restore(url) {
      var img = new Image();
      img.onload = function () {
        ctx.drawImage(img, 0, 0, cssW, cssH);
        inked = true;
      };
      img.src = url;
    }

    function point(e) {
      // In drawing units even when CSS shows the canvas smaller (max-width: 100%).
      var r = canvas.getBoundingClientRect();
      return { x: (e.clientX - r.left) * cssW / (r.width || cssW), y: (e.clientY - r.top) * cssH / (r.height || cssH) };
    }

    function save() {
      if (inked) input.value = canvas.toDataURL("image/png");
    }

    canvas.addEventListener("pointerdown", function (e) {
      if (e.button !== undefined && e.button > 0) return;
      e.preventDefault();
      if (!inked && pad.clientWidth && Math.abs(pad.clientWidth - cssW) > 8) size();  // was hidden at set-up
      drawing = true;
      last = point(e);
      if (canvas.setPointerCapture) {
        try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* not capturable */ }
      }
      ctx.beginPath();
      ctx.arc(last.x, last.y, 1.2, 0, Math.PI * 2);
      ctx.fillStyle = "#111";
      ctx.fill();
      inked = true;
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      e.preventDefault();
      var p = point(e);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
    });
    function end() {
      if (!drawing) return;
      drawing = false;
      save();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);

    var clear = pad.querySelector("[data-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        inked = false;
        input.value = "";
      });
    }

    pad.hidden = false;
    var field = pad.parentNode;
    var hint = field && field.querySelector(".nojs-only");
    if (hint) hint.hidden = true;
    size();
    if (input.value && input.value.indexOf("data:image/png;base64,") === 0) restore(input.value);
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(size, 200);
    });
  }

  function init() {
    if (!window.PointerEvent) return;  // old browsers: sign on paper
    var pads = document.querySelectorAll(".sigpad[data-signature]");
    for (var i = 0; i < pads.length; i++) setup(pads[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
