/* 积分抵话费: show what the chosen points pay and what is left for the card, as the member
   types. The server checks everything again; this only mirrors its rules (the most points a
   bill may use: their value is at most share % of it and leaves at least ¥0.01). */
(function () {
  "use strict";

  function toFen(text) {
    var cleaned = String(text || "").replace(/[,，¥￥\s]/g, "");
    if (!/^\d+(\.\d{1,2})?$/.test(cleaned)) { return null; }
    var parts = cleaned.split(".");
    var cents = ((parts[1] || "") + "00").slice(0, 2);
    return parseInt(parts[0], 10) * 100 + parseInt(cents, 10);
  }

  function yuan(fen) {
    var whole = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = ("0" + (fen % 100)).slice(-2);
    return "¥" + whole + "." + cents;
  }

  function setUp(box) {
    var form = box.closest("form");
    var amount = form.querySelector("input[name=amount]");
    var points = box.querySelector("input[name=points]");
    var useMax = box.querySelector("input[name=use_max_points]");
    var summary = box.querySelector("[data-points-summary]");
    var pointValue = parseInt(box.dataset.pointValueFen, 10);
    var share = parseInt(box.dataset.share, 10);
    var available = parseInt(box.dataset.available, 10);

    function update() {
      var bill = form.querySelector("input[name=kind]:checked");
      var fen = toFen(amount.value);
      box.hidden = Boolean(bill && bill.value !== "bill");
      points.disabled = useMax.checked;
      if (fen === null || fen < 1) { summary.textContent = ""; return; }
      var most = Math.min(Math.floor(Math.min(Math.floor(fen * share / 100), fen - 1) / pointValue),
                          available);
      var chosen = useMax.checked ? most : parseInt(points.value.replace(/[,，]/g, "") || "0", 10);
      if (isNaN(chosen) || chosen < 0) { chosen = 0; }
      var lines = box.dataset.most.replace("{points}", most.toLocaleString("en"));
      if (chosen <= most) {
        var value = chosen * pointValue;
        lines += " · " + box.dataset.summary.replace("{value}", yuan(value))
          .replace("{card}", yuan(fen - value));
      } else {
        lines += " · " + box.dataset.over;
      }
      summary.textContent = lines;
    }

    [amount, points, useMax].forEach(function (input) {
      input.addEventListener("input", update);
      input.addEventListener("change", update);
    });
    form.querySelectorAll("input[name=kind]").forEach(function (input) {
      input.addEventListener("change", update);
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-bill-points]").forEach(setUp);
  });
}());
