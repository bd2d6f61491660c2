/* propsvc: the guard's pass check — scan the pass's QR with the phone camera.
   Progressive: only where the browser has the BarcodeDetector API with QR support and a
   camera (getUserMedia) does the 扫码 button appear; everywhere else the guard types the pass
   number (the form works without this file, and without htmx as a plain GET). A scan fills
   the field with what the QR holds (the public verification URL …/v/<code>) and submits the
   form; the server reads the code out of it. ES5 only. */
(function () {
  "use strict";
  var form = document.getElementById("gate");
  if (!form) return;
  var input = document.getElementById("q");
  var button = document.getElementById("scan");
  var box = document.getElementById("scanner");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var stopBtn = document.getElementById("scan-stop");
  var stream = null, timer = null, detector = null, busy = false;

  function say(text) { if (status) status.textContent = text; }

  function submit() {
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function stop() {
    clearTimeout(timer);
    timer = null;
    if (stream) {
      stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
    }
    if (video) video.srcObject = null;
    if (box) box.hidden = true;
    if (button) button.hidden = false;
  }

  function tick() {
    if (!stream) return;
    if (busy || video.readyState < 2) { timer = setTimeout(tick, 200); return; }
    busy = true;
    detector.detect(video).then(function (codes) {
      busy = false;
      var hit = codes && codes.length ? codes[0].rawValue : "";
      if (hit) {
        stop();
        input.value = hit;
        submit();
      } else {
        timer = setTimeout(tick, 200);
      }
    }, function () {
      busy = false;
      timer = setTimeout(tick, 400);
    });
  }

  function start() {
    say("正在打开摄像头…");
    box.hidden = false;
    button.hidden = true;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      var p = video.play();
      if (p && p.then) p.then(null, function () {});
      say("将二维码对准取景框");
      tick();
    }, function () {
      stop();
      say("");
      var hint = document.getElementById("scan-hint");
      if (hint) hint.textContent = "无法使用摄像头（未允许或不支持），请输入证件上的编号查验。";
      input.focus();
    });
  }

  // After each answer: the field is ready for the next pass.
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail && e.detail.target && e.detail.target.id === "gate-result" && input) input.select();
  });

  if (!button || !box || !video || !("BarcodeDetector" in window) || !navigator.mediaDevices ||
      !navigator.mediaDevices.getUserMedia || !window.Promise) return;
  var formats = window.BarcodeDetector.getSupportedFormats ? window.BarcodeDetector.getSupportedFormats()
    : Promise.resolve(["qr_code"]);
  formats.then(function (list) {
    if (list.indexOf("qr_code") < 0) return;
    detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    button.hidden = false;
    button.addEventListener("click", start);
    if (stopBtn) stopBtn.addEventListener("click", function () { stop(); say(""); });
    window.addEventListener("pagehide", stop);
    document.addEventListener("visibilitychange", function () { if (document.hidden && stream) stop(); });
  }, function () {});
})();
