/* Member portal: refreshes the pay code, prints the card. No inline script (strict CSP). */
(function () {
  "use strict";

  var code = document.getElementById("pay-code");
  var timer = document.getElementById("pay-code-timer");
  var STEP = 30;

  if (code) {
    var url = code.getAttribute("data-url");
    var label = timer ? timer.getAttribute("data-label") : "";
    var left = parseInt(code.getAttribute("data-expires-in"), 10) || STEP;

    var show = function () {
      if (timer) { timer.textContent = left + " " + label; }
    };

    var refresh = function () {
      fetch(url, { credentials: "same-origin", cache: "no-store",
                   headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("pay code " + response.status); }
          return response.json();
        })
        .then(function (data) {
          code.textContent = data.code;
          code.classList.remove("stale");
          left = data.expires_in || STEP;
          show();
        })
        .catch(function () {
          code.classList.add("stale");  // keep the old code visible, marked as out of date
          left = 5;  // try again soon
        });
    };

    show();
    window.setInterval(function () {
      left -= 1;
      if (left <= 0) { left = STEP; refresh(); }
      show();
    }, 1000);
    // A phone that slept comes back with an old code: fetch a fresh one at once.
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { refresh(); }
    });
  }

  var printButtons = document.querySelectorAll("[data-print]");
  Array.prototype.forEach.call(printButtons, function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
