// Counts Excellent choices against the per-ballot cap as the voter taps, and stops a submit
// past it. The server enforces the cap too; this only saves a round trip.
(function () {
  var form = document.getElementById("ballot");
  if (!form || form.dataset.cap === "") return;
  var cap = parseInt(form.dataset.cap, 10);
  var counter = document.getElementById("counter");
  var lang = document.documentElement.lang;
  function count() {
    return form.querySelectorAll('input[value^="excellent"]:checked').length;
  }
  function update() {
    var n = count();
    counter.hidden = false;
    counter.className = "counter" + (n > cap ? " over" : "");
    counter.textContent = lang === "en"
      ? "Excellent: " + n + " of at most " + cap + (n > cap ? " - please remove " + (n - cap) : "")
      : "已评“优秀” " + n + " 个，最多 " + cap + " 个" + (n > cap ? "，请减少 " + (n - cap) + " 个" : "");
  }
  form.addEventListener("change", update);
  form.addEventListener("submit", function (event) {
    if (count() > cap) { event.preventDefault(); update(); counter.scrollIntoView({block: "center"}); }
  });
  update();
})();
