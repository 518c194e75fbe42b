/* Member portal: refreshes the pay code, prints the card. No inline script (strict CSP). */
(function () {
  "use strict";

  // The pay code: its QR, barcode and masked text. The page asks every few seconds whether
  // the code changed (?seen=<version>: 204 while it has not, a cheap answer), so a code that
  // was just used is replaced at once and an expired one when its 30 s are up.
  var box = document.getElementById("pay-code");
  var text = document.getElementById("pay-code-text");
  var qr = document.getElementById("pay-code-qr");
  var barcode = document.getElementById("pay-code-barcode");
  var timer = document.getElementById("pay-code-timer");
  var STEP = 30;
  var POLL = 3;

  if (box) {
    var url = box.getAttribute("data-url");
    var version = box.getAttribute("data-version") || "";
    var label = timer ? timer.getAttribute("data-label") : "";
    var left = parseInt(box.getAttribute("data-expires-in"), 10) || STEP;
    var sincePoll = 0;
    var busy = false;

    var show = function () {
      if (timer) { timer.textContent = left + " " + label; }
    };
    var stale = function (yes) {
      [text, qr, barcode].forEach(function (el) {
        if (el) { el.classList.toggle("stale", yes); }
      });
    };

    var refresh = function () {
      if (busy) { return; }
      busy = true;
      sincePoll = 0;
      fetch(url + "?seen=" + encodeURIComponent(version),
            { credentials: "same-origin", cache: "no-store",
              headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (response.status === 204) { return null; }
          if (!response.ok) { throw new Error("pay code " + response.status); }
          return response.json();
        })
        .then(function (data) {
          busy = false;
          stale(false);
          if (!data) { return; }
          version = data.version;
          if (text) { text.textContent = data.text; }
          if (qr) { qr.src = data.qr; }
          if (barcode) { barcode.src = data.barcode; }
          left = data.expires_in || STEP;
          show();
        })
        .catch(function () {
          busy = false;
          stale(true);  // keep the old code visible, marked as out of date; try again soon
        });
    };

    show();
    window.setInterval(function () {
      if (document.hidden) { return; }  // no polling from a tab nobody looks at
      left -= 1;
      sincePoll += 1;
      if (left <= 0) { left = STEP; refresh(); } else if (sincePoll >= POLL) { refresh(); }
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
