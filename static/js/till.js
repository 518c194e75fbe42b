/* The till: a POS terminal in the browser (contract §3, §5). No inline code (strict CSP).
 * Money is handled in whole fen with integer arithmetic only; one Idempotency-Key per sale. */
(function () {
  "use strict";

  var STORE = "valliance.till.apiKey";
  var TERMINAL = "/api/v1/pos/terminal";
  var EN = document.documentElement.lang === "en";  // the page's language (?lang=en)
  var TIERS = EN ? { standard: "Standard", silver: "Silver", gold: "Gold", diamond: "Diamond" }
                 : { standard: "普通卡", silver: "银卡", gold: "金卡", diamond: "钻石卡" };
  var RETRIES = 3;
  var MAX_AMOUNT = 100000000;  // ¥1,000,000.00 in fen, as the API allows (contract §5)

  function $(id) { return document.getElementById(id); }
  /** The text of the page's language. */
  function t(zh, en) { return EN ? en : zh; }
  /** The page's half of a "中文 / English" message from the API. */
  function half(message) {
    var parts = String(message || "").split(" / ");
    return EN ? (parts[1] || parts[0]) : parts[0];
  }

  // ---- money -------------------------------------------------------------------------
  /** "128.50" → 12850; null when not a valid amount of yuan (at most 2 decimals). Too many
   * digits is a number too large (MAX_AMOUNT says so), not a badly typed one. */
  function parseYuan(text) {
    var value = String(text || "").trim().replace(/^¥/, "").replace(/,/g, "");
    var match = /^(\d{1,12})(?:\.(\d{0,2}))?$/.exec(value);
    if (!match) { return null; }
    var cents = ((match[2] || "") + "00").slice(0, 2);
    return parseInt(match[1], 10) * 100 + parseInt(cents, 10);
  }

  /** 12850 → "¥128.50", -100 → "-¥1.00". */
  function grouped(n) {  // 12345 → "12,345", as the portal writes points
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function yuan(fen) {
    var sign = fen < 0 ? "-" : "";
    var n = Math.abs(fen);
    var cents = n % 100;
    var whole = (n - cents) / 100;
    return sign + "¥" + grouped(whole) + "." + (cents < 10 ? "0" : "") + cents;
  }

  /** The amount check shared by sales and refunds: an error message, or "". */
  function amountProblem(fen, example) {
    if (fen === null || fen < 1) {
      return t("请输入正确的金额，例如 " + example, "Enter an amount in yuan, e.g. " + example);
    }
    if (fen > MAX_AMOUNT) {
      return t("金额最多 " + yuan(MAX_AMOUNT), "The amount is at most " + yuan(MAX_AMOUNT));
    }
    return "";
  }

  /** percent_off 12 → "8.8折" (English: "12% off"), 12.5 → "8.75折", 0 → "无折扣". */
  function discountLabel(percent) {
    var hundredths = Math.round(Number(percent) * 100);
    if (!hundredths) { return t("无折扣", "No discount"); }
    if (EN) { return String(hundredths / 100) + "% off"; }
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

  // ---- API ---------------------------------------------------------------------------
  function ApiError(status, body) {
    this.status = status;
    this.body = body || {};
    this.message = half(this.body.message) ||
      t("请求失败（" + status + "）", "Request failed (" + status + ")");
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  /** POST/GET JSON with the terminal key. Network failures and 5xx are retried with the same
   * Idempotency-Key (the API replays a sale that went through); 4xx answers are not. */
  function call(method, path, body, idempotencyKey, apiKey) {
    var headers = { "Authorization": "Bearer " + (apiKey || localStorage.getItem(STORE)),
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

  // ---- setup: the key is checked with GET /terminal before it is kept -------------------
  var terminal = null;  // {terminal_id, terminal_name, merchant: {id, name, status}}
  var stopped = null;   // the merchant_not_active answer while the merchant may not sell

  function showTill() {
    var ready = !!localStorage.getItem(STORE);
    $("setup").hidden = ready;
    $("stopped").hidden = !(ready && stopped);
    $("sale").hidden = !ready || !!stopped;
    $("refund-form").hidden = !ready || !!stopped;
    $("change-terminal").hidden = !ready;
    $("receipt").hidden = true;
    if (!ready) { $("api-key").focus(); } else if (!stopped) { $("card").focus(); }
  }

  function setTerminal(info) {
    terminal = info;
    $("till-who").textContent = info ? info.merchant.name +
      (info.terminal_name ? " · " + info.terminal_name : "") : "";
  }

  function isStopped(error) {
    return error && error.body && error.body.error === "merchant_not_active";
  }

  /** The merchant may not sell (pending, rejected or suspended): say so, plainly, and hide
   * the sale and refund forms until "Check again" finds it reinstated. */
  function stop(body) {
    var status = ((body.details || {}).status || [])[0];
    stopped = body;
    resetSale();
    $("stopped-title").textContent = status === "suspended" ?
      t("本商户已被联盟暂停，收银已停止", "This merchant is suspended: selling is stopped") :
      status === "rejected" ?
      t("本商户未通过联盟审核，不能收银", "This merchant was not approved: it cannot sell") :
      t("本商户尚未通过联盟审核，暂不能收银", "This merchant is not approved yet: it cannot sell");
    $("stopped-text").textContent = t(
      "终端密钥是对的，但报价、收款和退款现在都会被拒绝。",
      "The terminal key is right, but quotes, sales and refunds are refused for now.");
    say("");
    showTill();
  }

  /** Why a key was refused, in words a cashier can act on. */
  function keyProblem(error) {
    if (error.status === 401) {
      return t("终端密钥不对：没有这个密钥，或它已被吊销。请核对后重新输入（未保存）。",
               "Wrong terminal key: no terminal has it, or it was revoked. Check it and" +
               " type it again (not saved).");
    }
    if (error.status === 403) {
      return t("这不是收银终端的密钥（可能是会员或114坐席的密钥），未保存。",
               "This is not a terminal key (perhaps a member's or a 114 operator's):" +
               " not saved.");
    }
    if (error.status === 0) {
      return t("连不上服务器，密钥未保存，请重试。",
               "Cannot reach the server: the key was not saved. Try again.");
    }
    return error.message;
  }

  $("setup").addEventListener("submit", function (event) {
    event.preventDefault();
    var key = $("api-key").value.trim();
    if (!key) { fail(t("请输入终端密钥", "Enter the terminal key")); return; }
    $("setup-button").disabled = true;
    say(t("正在核对密钥…", "Checking the key…"));
    call("GET", TERMINAL, undefined, null, key).then(function (info) {
      localStorage.setItem(STORE, key);
      $("api-key").value = "";
      stopped = null;
      setTerminal(info);
      showTill();
      say(t("密钥正确：", "Key accepted: ") + info.merchant.name, "ok");
    }, function (error) {
      if (isStopped(error)) {  // the right key of a merchant that may not sell now
        localStorage.setItem(STORE, key);
        $("api-key").value = "";
        stop(error.body);
        return;
      }
      fail(keyProblem(error));
      $("api-key").focus();
    }).then(function () { $("setup-button").disabled = false; });
  });

  /** Check the saved key (at load, and on "Check again"): who this till is, whether it sells. */
  function checkSavedKey(retrying) {
    if (!localStorage.getItem(STORE)) { return Promise.resolve(); }
    return call("GET", TERMINAL).then(function (info) {
      var wasStopped = !!stopped;
      stopped = null;
      setTerminal(info);
      showTill();
      if (wasStopped) { say(t("商户已恢复，可以收银", "The merchant is reinstated: selling again"), "ok"); }
    }, function (error) {
      if (isStopped(error)) {
        stop(error.body);
        if (retrying) { say(t("仍未恢复", "Still stopped"), "error"); }
      } else if (error.status === 401 || error.status === 403) {
        localStorage.removeItem(STORE);
        stopped = null;
        setTerminal(null);
        showTill();
        fail(t("本设备保存的终端密钥已失效（可能已被吊销），请重新输入。",
               "The key saved on this device no longer works (perhaps revoked): enter it again."));
      } else if (retrying) {
        fail(error.message);
      }
    });
  }

  $("stopped-retry").addEventListener("click", function () { checkSavedKey(true); });

  $("change-terminal").addEventListener("click", function (event) {
    event.preventDefault();
    localStorage.removeItem(STORE);
    stopped = null;
    setTerminal(null);
    resetSale();
    say("");
    showTill();
  });

  /** An API error at the till: the stopped state, or the message. */
  function failWith(error) {
    if (isStopped(error)) { stop(error.body); return; }
    fail(error.message);
  }

  // ---- a sale ------------------------------------------------------------------------
  var sale = null;  // {body, key, busy, done}: one Idempotency-Key per sale, made at the quote

  function setText(id, text) { $(id).textContent = text; }

  function readSale() {
    var card = $("card").value.replace(/\s+/g, "");
    if (!/^(\d{16}|\d{22})$/.test(card)) {
      return { error: t("卡号应为 16 位数字或 22 位付款码",
                        "The card is 16 digits, or a 22-digit pay code") };
    }
    var amount = parseYuan($("amount").value);
    var problem = amountProblem(amount, "128.50");
    if (problem) { return { error: problem }; }
    var redeemText = $("redeem").value.trim();
    var redeem = 0;
    if (redeemText) {
      if (!/^\d{1,9}$/.test(redeemText)) {
        return { error: t("使用积分应为整数", "Points to redeem are a whole number") };
      }
      redeem = parseInt(redeemText, 10);
    }
    if (redeem > 0 && card.length !== 22) {
      return { error: t("使用积分需出示付款码（22 位）",
                        "Redeeming points needs the pay code (22 digits)") };
    }
    var coupon = $("coupon").value.replace(/\s+/g, "");
    if (coupon && !/^\d{12}$/.test(coupon)) {
      return { error: t("优惠券码应为 12 位数字", "A coupon code is 12 digits") };
    }
    var body = { card: card, amount: amount, redeem_points: redeem };
    if (coupon) { body.coupon = coupon; }
    return { body: body };
  }

  /** What the coupon took off, and its code ("—" without one). */
  function couponText(answer) {
    if (!answer.coupon) { return "—"; }
    return yuan(answer.coupon_value) + t("（券 ", " (coupon ") + answer.coupon + t("）", ")");
  }

  function showQuote(quote) {
    setText("q-tier", TIERS[quote.tier] || quote.tier);
    setText("q-label", discountLabel(quote.percent_off));
    setText("q-discount", yuan(quote.discount));
    setText("q-coupon", couponText(quote));
    setText("q-points-value", grouped(quote.redeem_points) + t(" 分 = ", " pts = ") +
            yuan(quote.points_value));
    setText("q-payable", yuan(quote.payable));
    setText("q-earn", grouped(quote.points_earned));
    setText("q-balance", grouped(quote.points_balance));
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
    $("sale").hidden = !localStorage.getItem(STORE) || !!stopped;
  }

  $("card").addEventListener("keydown", function (event) {
    if (event.key === "Enter") {  // USB scanners type the code and Enter
      event.preventDefault();
      $("amount").focus();
    }
  });
  ["card", "amount", "redeem", "coupon"].forEach(function (id) {
    $(id).addEventListener("input", dropQuote);
  });

  $("sale-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (sale && sale.busy) { return; }
    var read = readSale();
    if (read.error) { fail(read.error); return; }
    say(t("正在报价…", "Pricing…"));
    $("quote-button").disabled = true;
    call("POST", "/api/v1/pos/quote", read.body).then(function (quote) {
      sale = { body: read.body, key: newKey(), busy: false, done: false };
      say("");
      showQuote(quote);
    }, function (error) {
      dropQuote();
      failWith(error);
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
    ["card", "amount", "redeem", "coupon"].forEach(function (id) { $(id).readOnly = true; });
    say(t("正在收款…", "Taking payment…"));
    call("POST", "/api/v1/pos/purchases", current.body, current.key).then(function (purchase) {
      current.done = true;
      say(t("收款成功", "Paid"), "ok");
      showReceipt(purchase);
    }, function (error) {
      // Same key on the next click: a sale that went through is replayed, never doubled.
      $("confirm-button").disabled = false;
      failWith(error);
    }).then(function () {
      current.busy = false;
      ["card", "amount", "redeem", "coupon"].forEach(function (id) { $(id).readOnly = false; });
    });
  });

  function showReceipt(p) {
    setText("r-merchant", terminal ? terminal.merchant.name : "");
    if (!terminal) {  // not known yet (the check at load failed): ask, then fill it in
      call("GET", TERMINAL).then(function (info) {
        setTerminal(info);
        setText("r-merchant", info.merchant.name);
      }, function () { /* the receipt stands without it */ });
    }
    setText("r-card", "•••• " + p.card_last4);  // masked as the portal masks it
    setText("r-tier", TIERS[p.tier] || p.tier);
    setText("r-amount", yuan(p.amount));
    setText("r-label", discountLabel(p.percent_off));
    setText("r-discount", yuan(p.discount));
    setText("r-coupon", couponText(p));
    setText("r-redeemed", grouped(p.redeem_points) + t(" 分 = ", " pts = ") + yuan(p.points_value));
    setText("r-payable", yuan(p.payable));
    setText("r-earned", grouped(p.points_earned));
    setText("r-balance", grouped(p.points_balance));
    setText("r-id", p.id);
    setText("r-time", String(p.created_at || "").replace("T", " ").slice(0, 19));
    showGifts(p.coupons_issued || []);
    $("sale").hidden = true;
    $("receipt").hidden = false;
    $("refund-id").value = p.id;
    $("new-sale-button").focus();
  }

  /** The coupons the sale earned by 满就送 rules: title, 满X减Y, code, valid until (the
   * page's own words, from the list's data attributes). */
  function showGifts(list) {
    var box = $("r-gifts");
    var ul = $("r-gift-list");
    while (ul.firstChild) { ul.removeChild(ul.firstChild); }
    list.forEach(function (c) {
      var terms = c.min_spend ? ul.dataset.terms.replace("{min}", yuan(c.min_spend))
                              : ul.dataset.termsFree;
      var li = document.createElement("li");
      li.className = "gift";
      [["gift-title", c.title], ["gift-terms", terms.replace("{value}", yuan(c.value))],
       ["gift-code", ul.dataset.code.replace("{code}", c.code.replace(/(\d{4})(?=\d)/g, "$1 "))],
       ["gift-until", ul.dataset.until.replace("{date}", c.valid_until)]
      ].forEach(function (part) {
        var span = document.createElement("span");
        span.className = part[0];
        span.textContent = part[1];
        li.appendChild(span);
      });
      ul.appendChild(li);
    });
    box.hidden = list.length === 0;
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
    if (!id) { fail(t("请输入交易号", "Enter the purchase id")); return; }
    var body = {};
    var amountText = $("refund-amount").value.trim();
    if (amountText) {
      var amount = parseYuan(amountText);
      var problem = amountProblem(amount, "12.50");
      if (problem) { fail(problem); return; }
      body.amount = amount;
    }
    refunding = true;
    $("refund-button").disabled = true;
    $("refund-result").hidden = true;
    say(t("正在退款…", "Refunding…"));
    var path = "/api/v1/pos/purchases/" + encodeURIComponent(id) + "/refunds";
    call("POST", path, body, newKey()).then(function (r) {  // one key per refund attempt
      setText("f-amount", yuan(r.amount));
      setText("f-cash", yuan(r.cash_refund));
      setText("f-reversed", grouped(r.points_reversed));
      setText("f-returned", grouped(r.points_returned));
      setText("f-balance", grouped(r.points_balance));
      $("refund-result").hidden = false;
      $("refund-amount").value = "";
      say(t("退款成功", "Refunded"), "ok");
    }, function (error) {
      failWith(error);
    }).then(function () {
      refunding = false;
      $("refund-button").disabled = false;
    });
  });

  // ---- camera fallback: static/js/till-camera.js reads the QR code and types it into
  // #card followed by Enter, as a USB scanner does, so it takes the path above. --------

  showTill();
  checkSavedKey(false);
})();
