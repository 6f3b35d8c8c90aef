// The check-in page's camera: reads a ticket's QR code with the browser's BarcodeDetector
// where there is one, otherwise with jsQR (static/js/vendor/, copied from the npm registry by
// `make vendor-js`). The camera stops once a code is read; the button starts it again.
(function (root) {
  "use strict";
  var EVERY = 150;

  function reader(video) {
    if ("BarcodeDetector" in root) {
      var detector = new root.BarcodeDetector({ formats: ["qr_code"] });
      return function () {
        return detector.detect(video).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        });
      };
    }
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return function () {
      if (!video.videoWidth) { return Promise.resolve(null); }
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = root.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      return Promise.resolve(code ? code.data : null);
    };
  }

  root.MmmCamera = function (button, video, problem, text, onCode) {
    var stream = null;

    function stop() {
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
      stream = null;
      video.hidden = true;
      button.textContent = text.camera_on;
    }

    function look(read) {
      if (!stream) { return; }
      read().then(function (value) {
        if (value) { stop(); onCode(value); } else { root.setTimeout(function () { look(read); }, EVERY); }
      }, function () { root.setTimeout(function () { look(read); }, EVERY); });
    }

    button.addEventListener("click", function () {
      problem.hidden = true;
      if (stream) { stop(); return; }
      if (!navigator.mediaDevices) { onError(); return; }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          video.hidden = false;
          button.textContent = text.camera_off;
          return video.play();
        })
        .then(function () { look(reader(video)); }, onError);
    });

    function onError() {
      stop();
      problem.hidden = false;
    }
  };
}(window));
