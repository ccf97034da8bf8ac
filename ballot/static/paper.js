// The paper-ballot desk, progressively enhanced; the page works fully without this file.
// - Where the browser offers BarcodeDetector and a camera, a button reads a slip's QR code
//   into the code field (the server takes a whole slip URL, as a USB scanner types it).
// - A live count of Excellent choices against the cap. Nothing is blocked: a paper ballot
//   over the cap is entered and counted as invalid (the server decides).
// Nothing is sent anywhere and nothing is loaded from outside this server.
(function () {
  var form = document.getElementById("paper");
  if (!form) return;
  var field = document.getElementById("code");
  var button = document.getElementById("scan");
  var video = document.getElementById("camera");
  var status = document.getElementById("scan-status");

  function say(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  function firstRating() {
    return form.querySelector('input[type="radio"]:checked') || form.querySelector('input[type="radio"]');
  }

  var camera = button && video && status && "BarcodeDetector" in window &&
    navigator.mediaDevices && typeof navigator.mediaDevices.getUserMedia === "function";
  if (camera) {
    var label = button.textContent;
    var stream = null;
    var timer = null;
    var detector = null;

    var stop = function () {
      if (timer) clearTimeout(timer);
      timer = null;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.srcObject = null;
      video.hidden = true;
      button.textContent = label;
    };

    var look = function () {
      if (!stream) return;
      detector.detect(video).then(function (codes) {
        if (!stream) return;
        if (codes.length && codes[0].rawValue) {
          field.value = codes[0].rawValue;
          stop();
          say(button.dataset.read);
          var next = firstRating();
          (next || field).focus();
          return;
        }
        timer = setTimeout(look, 200);
      }, function () {
        if (stream) timer = setTimeout(look, 500);
      });
    };

    var start = function () {
      say("");
      try {
        detector = new window.BarcodeDetector({formats: ["qr_code"]});
      } catch (error) {
        say(button.dataset.denied);
        return;
      }
      navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false})
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          button.textContent = button.dataset.stop;
          return video.play();
        })
        .then(look, function () {
          stop();
          say(button.dataset.denied);
        });
    };

    var offer = function () {
      button.hidden = false;
      button.addEventListener("click", function () {
        if (stream) stop(); else start();
      });
      window.addEventListener("pagehide", stop);
    };

    if (typeof window.BarcodeDetector.getSupportedFormats === "function") {
      window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) offer();
      }, function () {});
    } else {
      offer();
    }
  }

  var counter = document.getElementById("counter");
  if (counter && form.dataset.cap !== "") {
    var cap = parseInt(form.dataset.cap, 10);
    var update = function () {
      var n = form.querySelectorAll('input[value="excellent"]:checked').length;
      var text = form.dataset.counter.replace("{n}", n).replace("{cap}", cap);
      counter.hidden = false;
      counter.className = "counter" + (n > cap ? " over" : "");
      counter.textContent = n > cap ? text + " " + form.dataset.over : text;
    };
    form.addEventListener("change", update);
    update();
  }
})();
