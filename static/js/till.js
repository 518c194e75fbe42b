/* The till: a POS terminal in the browser (contract §3, §5). No inline code (strict CSP).
 * Money is handled in whole fen with integer arithmetic only; one Idempotency-Key per sale. */
(function () {
  "use strict";

  var STORE = "valliance.till.apiKey";
  var TIERS = { standard: "普通卡", silver: "银卡", gold: "金卡", diamond: "钻石卡" };
  var RETRIES = 3;

  function $(id) { return document.getElementById(id); }

  // ---- money -------------------------------------------------------------------------
  /** "128.50" → 12850; null when not a valid amount of yuan (at most 2 decimals). */
  function parseYuan(text) {
    var value = String(text || "").trim().replace(/^¥/, "").replace(/,/g, "");
    var match = /^(\d{1,7})(?:\.(\d{0,2}))?$/.exec(value);
    if (!match) { return null; }
    var cents = ((match[2] || "") + "00").slice(0, 2);
    return parseInt(match[1], 10) * 100 + parseInt(cents, 10);
  }

  /** 12850 → "¥128.50", -100 → "-¥1.00". */
  function yuan(fen) {
    var sign = fen < 0 ? "-" : "";
    var n = Math.abs(fen);
    var cents = n % 100;
    var whole = (n - cents) / 100;
    return sign + "¥" + String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." +
      (cents < 10 ? "0" : "") + cents;
  }

  /** percent_off 12 → "8.8折", 12.5 → "8.75折", 0 → "无折扣". */
  function discountLabel(percent) {
    var hundredths = Math.round(Number(percent) * 100);
    if (!hundredths) { return "无折扣"; }
    var n = 10000 - hundredths;  // the price paid, in thousandths of 10 (8800 → 8.8)
    var frac = String(n % 1000);
    while (frac.length < 3) { frac = "0" + frac; }
    frac = frac.replace(/0+$/, "");
    return String((n - (n % 1000)) / 1000) + (frac ? "." + frac : "") + "折";
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);  // getRandomValues also works outside secure contexts
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // ---- status ------------------------------------------------------------------------
  function say(text, kind) {
    var status = $("status");
    status.textContent = text || "";
    status.className = "status no-print" + (kind ? " " + kind : "");
  }
  function fail(text) { say(text, "error"); }
  function chinese(message) { return String(message || "").split(" / ")[0]; }

  // ---- API ---------------------------------------------------------------------------
  function ApiError(status, body) {
    this.status = status;
    this.body = body || {};
    this.message = chinese(this.body.message) || ("请求失败（" + status + "）");
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  /** POST/GET JSON with the terminal key. Network failures and 5xx are retried with the same
   * Idempotency-Key (the API replays a sale that went through); 4xx answers are not. */
  function call(method, path, body, idempotencyKey) {
    var headers = { "Authorization": "Bearer " + localStorage.getItem(STORE),
                    "Accept": "application/json" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (idempotencyKey) { headers["Idempotency-Key"] = idempotencyKey; }
    var attempt = 0;
    function once() {
      attempt += 1;
      return fetch(path, { method: method, headers: headers, credentials: "omit",
                           body: body === undefined ? undefined : JSON.stringify(body) })
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (json) {
            if (response.ok) { return json; }
            var error = new ApiError(response.status, json);
            if (response.status >= 500 && attempt < RETRIES) { throw { retry: error }; }
            throw error;
          });
        }, function () {
          var error = new ApiError(0, { message: "网络故障，请重试 / network failure" });
          if (attempt < RETRIES) { throw { retry: error }; }
          throw error;
        })
        .catch(function (problem) {
          if (problem && problem.retry) {
            return sleep(500 * attempt).then(once);
          }
          throw problem;
        });
    }
    return once();
  }

  // ---- setup -------------------------------------------------------------------------
  function showTill() {
    var ready = !!localStorage.getItem(STORE);
    $("setup").hidden = ready;
    $("sale").hidden = !ready;
    $("refund-form").hidden = !ready;
    $("change-terminal").hidden = !ready;
    $("receipt").hidden = true;
    if (ready) { $("card").focus(); } else { $("api-key").focus(); }
  }

  $("setup").addEventListener("submit", function (event) {
    event.preventDefault();
    var key = $("api-key").value.trim();
    if (!key) { fail("请输入终端密钥"); return; }
    localStorage.setItem(STORE, key);
    $("api-key").value = "";
    say("");
    showTill();
  });

  $("change-terminal").addEventListener("click", function (event) {
    event.preventDefault();
    localStorage.removeItem(STORE);
    resetSale();
    say("");
    showTill();
  });

  // ---- a sale ------------------------------------------------------------------------
  var sale = null;  // {body, key, busy, done}: one Idempotency-Key per sale, made at the quote

  function setText(id, text) { $(id).textContent = text; }

  function readSale() {
    var card = $("card").value.replace(/\s+/g, "");
    if (!/^(\d{16}|\d{22})$/.test(card)) { return { error: "卡号应为 16 位数字或 22 位付款码" }; }
    var amount = parseYuan($("amount").value);
    if (amount === null || amount < 1) { return { error: "请输入正确的金额，例如 128.50" }; }
    var redeemText = $("redeem").value.trim();
    var redeem = 0;
    if (redeemText) {
      if (!/^\d{1,9}$/.test(redeemText)) { return { error: "使用积分应为整数" }; }
      redeem = parseInt(redeemText, 10);
    }
    if (redeem > 0 && card.length !== 22) { return { error: "使用积分需出示付款码（22 位）" }; }
    return { body: { card: card, amount: amount, redeem_points: redeem } };
  }

  function showQuote(quote) {
    setText("q-tier", TIERS[quote.tier] || quote.tier);
    setText("q-label", discountLabel(quote.percent_off));
    setText("q-discount", yuan(quote.discount));
    setText("q-points-value", quote.redeem_points + " 分 = " + yuan(quote.points_value));
    setText("q-payable", yuan(quote.payable));
    setText("q-earn", String(quote.points_earned));
    setText("q-balance", String(quote.points_balance));
    $("quote").hidden = false;
    $("confirm-button").disabled = false;
    $("confirm-button").focus();
  }

  function dropQuote() {
    if (sale && sale.busy) { return; }
    sale = null;
    $("quote").hidden = true;
  }

  function resetSale() {
    sale = null;
    $("sale-form").reset();
    $("quote").hidden = true;
    $("receipt").hidden = true;
    $("sale").hidden = !localStorage.getItem(STORE);
  }

  $("card").addEventListener("keydown", function (event) {
    if (event.key === "Enter") {  // USB scanners type the code and Enter
      event.preventDefault();
      $("amount").focus();
    }
  });
  ["card", "amount", "redeem"].forEach(function (id) {
    $(id).addEventListener("input", dropQuote);
  });

  $("sale-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (sale && sale.busy) { return; }
    var read = readSale();
    if (read.error) { fail(read.error); return; }
    say("正在报价…");
    $("quote-button").disabled = true;
    call("POST", "/api/v1/pos/quote", read.body).then(function (quote) {
      sale = { body: read.body, key: newKey(), busy: false, done: false };
      say("");
      showQuote(quote);
    }, function (error) {
      dropQuote();
      fail(error.message);
    }).then(function () { $("quote-button").disabled = false; });
  });

  $("cancel-button").addEventListener("click", function () {
    dropQuote();
    $("card").focus();
  });

  $("confirm-button").addEventListener("click", function () {
    if (!sale || sale.busy || sale.done) { return; }
    var current = sale;
    current.busy = true;
    $("confirm-button").disabled = true;
    ["card", "amount", "redeem"].forEach(function (id) { $(id).readOnly = true; });
    say("正在收款…");
    call("POST", "/api/v1/pos/purchases", current.body, current.key).then(function (purchase) {
      current.done = true;
      say("收款成功", "ok");
      showReceipt(purchase);
    }, function (error) {
      // Same key on the next click: a sale that went through is replayed, never doubled.
      $("confirm-button").disabled = false;
      fail(error.message);
    }).then(function () {
      current.busy = false;
      ["card", "amount", "redeem"].forEach(function (id) { $(id).readOnly = false; });
    });
  });

  function showReceipt(p) {
    setText("r-merchant", p.merchant_id);
    setText("r-card", "**** " + p.card_last4);
    setText("r-tier", TIERS[p.tier] || p.tier);
    setText("r-amount", yuan(p.amount));
    setText("r-label", discountLabel(p.percent_off));
    setText("r-discount", yuan(p.discount));
    setText("r-redeemed", p.redeem_points + " 分 = " + yuan(p.points_value));
    setText("r-payable", yuan(p.payable));
    setText("r-earned", String(p.points_earned));
    setText("r-balance", String(p.points_balance));
    setText("r-id", p.id);
    setText("r-time", String(p.created_at || "").replace("T", " ").slice(0, 19));
    $("sale").hidden = true;
    $("receipt").hidden = false;
    $("refund-id").value = p.id;
    $("new-sale-button").focus();
  }

  $("print-button").addEventListener("click", function () { window.print(); });
  $("new-sale-button").addEventListener("click", function () {
    resetSale();
    say("");
    $("card").focus();
  });

  // ---- refunds -----------------------------------------------------------------------
  var refunding = false;

  $("refund-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (refunding) { return; }
    var id = $("refund-id").value.trim();
    if (!id) { fail("请输入交易号"); return; }
    var body = {};
    var amountText = $("refund-amount").value.trim();
    if (amountText) {
      var amount = parseYuan(amountText);
      if (amount === null || amount < 1) { fail("请输入正确的退款金额"); return; }
      body.amount = amount;
    }
    refunding = true;
    $("refund-button").disabled = true;
    $("refund-result").hidden = true;
    say("正在退款…");
    var path = "/api/v1/pos/purchases/" + encodeURIComponent(id) + "/refunds";
    call("POST", path, body, newKey()).then(function (r) {  // one key per refund attempt
      setText("f-amount", yuan(r.amount));
      setText("f-cash", yuan(r.cash_refund));
      setText("f-reversed", String(r.points_reversed));
      setText("f-returned", String(r.points_returned));
      setText("f-balance", String(r.points_balance));
      $("refund-result").hidden = false;
      $("refund-amount").value = "";
      say("退款成功", "ok");
    }, function (error) {
      fail(error.message);
    }).then(function () {
      refunding = false;
      $("refund-button").disabled = false;
    });
  });

  // ---- camera fallback: static/js/till-camera.js reads the QR code and types it into
  // #card followed by Enter, as a USB scanner does, so it takes the path above. --------

  showTill();
})();
