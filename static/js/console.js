/* The 114 operator console (contract §6). No inline code (strict CSP).
 * Keyboard first: F2 caller, / search, ↑↓ choose, Enter logs the referral, Esc new call. */
(function () {
  "use strict";

  var STORE = "valliance.console.operatorKey";
  var API = "/api/v1/directory";
  var TIERS = { standard: "普通卡", silver: "银卡", gold: "金卡", diamond: "钻石卡" };
  var TIERS_EN = { standard: "Standard", silver: "Silver", gold: "Gold", diamond: "Diamond" };
  var CARD_STATUS = { active: "正常", frozen: "已冻结", lost: "已挂失", replaced: "已换卡",
                      expired: "已过期" };
  var CARD_STATUS_EN = { active: "active", frozen: "frozen", lost: "reported lost",
                         replaced: "replaced", expired: "expired" };
  var PAGE = 20;
  var DEBOUNCE_MS = 120;

  var state = { caller: "", lookingUp: "", focusSearch: false, results: [], total: 0, selected: -1,
                controller: null, timer: 0, referred: {} };

  function $(id) { return document.getElementById(id); }
  function chinese(message) { return String(message || "").split(" / ")[0]; }
  function say(text, kind) {
    $("status").textContent = text || "";
    $("status").className = "status" + (kind ? " " + kind : "");
  }

  function ApiError(status, body) {
    this.status = status;
    this.body = body || {};
    this.message = chinese(this.body.message) || ("请求失败（" + status + "）");
  }

  function call(method, path, body, signal) {
    var init = { method: method, signal: signal,
                 headers: { "Authorization": "Bearer " + sessionStorage.getItem(STORE),
                            "Accept": "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new ApiError(response.status, data); }
        return data;
      });
    });
  }

  function handle(error) {
    if (error && error.name === "AbortError") { return; }
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      sessionStorage.removeItem(STORE);
      show(false);
      say("密钥无效或已停用，请重新登录 / Key refused: sign in again", "error");
      return;
    }
    if (error instanceof ApiError && error.status === 429) {
      say("查询过于频繁，请稍候 / Too many requests: wait a moment", "error");
      return;
    }
    if (error instanceof ApiError && error.body.details) {
      var details = error.body.details;
      var first = Object.keys(details)[0];
      say(chinese((details[first] || [])[0] || error.message), "error");
      return;
    }
    say(error instanceof ApiError ? error.message : "网络错误，请重试 / Network error", "error");
  }

  // ---- sign-in -----------------------------------------------------------------------
  function show(signedIn) {
    $("sign-in").hidden = signedIn;
    $("desk").hidden = !signedIn;
    $("sign-out").hidden = !signedIn;
    (signedIn ? $("caller") : $("operator-key")).focus();
  }

  // ---- caller ------------------------------------------------------------------------
  function setCaller(text, kind) {
    var box = $("caller-status");
    box.textContent = text;
    box.className = "caller-status" + (kind ? " " + kind : "");
  }

  /** Look the typed number up and search priced for it. fromForm: the operator pressed Enter
   * (then the search box gets the focus); otherwise the number was typed and the field left
   * (Tab, a click elsewhere): the focus stays where the operator put it. */
  function lookUpCaller(fromForm) {
    var phone = $("caller").value.trim();
    if (!phone) {
      if (fromForm) { newCall(); } else { forgetCaller(); }
      return Promise.resolve();
    }
    // (Enter may fire both change and submit: one lookup, and the focus moves if either asks)
    state.focusSearch = state.focusSearch || fromForm;
    if (phone === state.caller) {
      if (fromForm) { state.focusSearch = false; $("q").focus(); }
      return Promise.resolve();
    }
    if (phone === state.lookingUp) { return Promise.resolve(); }
    state.lookingUp = phone;
    setCaller("正在查询来电… / Looking the caller up…");
    return call("GET", API + "/callers/" + encodeURIComponent(phone)).then(function (found) {
      if ($("caller").value.trim() !== phone) { return; }  // typed over meanwhile
      state.caller = phone;
      state.referred = {};
      if (found.has_vcard) {
        setCaller("持V卡 · " + TIERS[found.tier] + " · 卡片" + (CARD_STATUS[found.card_status] ||
                  found.card_status) + " / V-card · " + TIERS_EN[found.tier] + " · " +
                  (CARD_STATUS_EN[found.card_status] || found.card_status), "vcard");
      } else {
        setCaller("无V卡 · 按普通卡报价 / No V-card: standard prices", "none");
      }
      say("");
      if (state.focusSearch) { $("q").focus(); }
      search(0);
    }).catch(function (error) {
      state.caller = "";
      setCaller("未查询来电 / No caller yet");
      handle(error);
    }).then(function () {
      if (state.lookingUp === phone) { state.lookingUp = ""; state.focusSearch = false; }
    });
  }

  /** The number was cleared: price at standard again, keeping the query. */
  function forgetCaller() {
    if (!state.caller) { return; }
    state.caller = "";
    state.referred = {};
    setCaller("未查询来电 / No caller yet");
    search(0);
  }

  function newCall() {
    state.caller = "";
    state.referred = {};
    $("caller").value = "";
    $("q").value = "";
    setCaller("未查询来电 / No caller yet");
    render([], 0, false);
    say("");
    $("caller").focus();
  }

  // ---- search ------------------------------------------------------------------------
  function query(offset) {
    var params = new URLSearchParams();
    var q = $("q").value.trim();
    if (q) { params.set("q", q); }
    if ($("category").value) { params.set("category", $("category").value); }
    if ($("district").value.trim()) { params.set("district", $("district").value.trim()); }
    if (state.caller) { params.set("caller", state.caller); }
    params.set("limit", String(PAGE));
    params.set("offset", String(offset));
    return params;
  }

  function search(offset) {
    if (state.controller) { state.controller.abort(); }  // only the latest keystroke answers
    var controller = new AbortController();
    state.controller = controller;
    return call("GET", API + "/offers?" + query(offset).toString(), undefined, controller.signal)
      .then(function (answer) {
        if (controller !== state.controller) { return; }
        render(answer.results, answer.total, offset > 0);
        say("");
      }).catch(handle);
  }

  function searchSoon() {
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { search(0); }, DEBOUNCE_MS);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function render(results, total, append) {
    state.results = append ? state.results.concat(results) : results;
    state.total = total;
    var list = $("results");
    if (!append) { list.textContent = ""; }
    results.forEach(function (result, i) {
      var index = append ? state.results.length - results.length + i : i;
      var item = element("li", "result");
      item.id = "result-" + index;
      item.setAttribute("role", "option");
      item.dataset.index = String(index);
      var head = element("div", "result-head");
      head.appendChild(element("span", "result-name", result.merchant.name));
      head.appendChild(element("span", "result-label", result.offer.label));
      head.appendChild(element("span", "result-meta", result.merchant.category + " · " +
        result.merchant.district + " · " + result.merchant.address + " · " +
        result.merchant.phone));
      var done = element("span", "referred", state.referred[result.offer.id] ? "✓ 已记录推荐" : "");
      head.appendChild(done);
      item.appendChild(head);
      item.appendChild(element("p", "script", result.script));
      item.appendChild(element("p", "result-meta", result.offer.title));
      item.addEventListener("click", function () { select(index); });
      item.addEventListener("dblclick", function () { select(index); refer(); });
      list.appendChild(item);
    });
    if (!append) { select(state.results.length ? 0 : -1); }
    var q = $("q").value.trim();
    $("summary").textContent = state.results.length ?
      "共 " + total + " 项优惠" + (state.caller ? "（按来电者等级报价）" : "（按普通卡报价）") :
      (q || $("category").value ? "没有找到匹配的联盟商户 / No matching alliance merchant" : "");
    $("more").hidden = state.results.length >= total;
  }

  function select(index) {
    var items = $("results").children;
    if (state.selected >= 0 && items[state.selected]) {
      items[state.selected].setAttribute("aria-selected", "false");
    }
    state.selected = index;
    if (index >= 0 && items[index]) {
      items[index].setAttribute("aria-selected", "true");
      items[index].scrollIntoView({ block: "nearest" });
      $("q").setAttribute("aria-activedescendant", items[index].id);
    }
  }

  function refer() {
    var result = state.results[state.selected];
    if (!result) { return Promise.resolve(); }
    if (!state.caller) {
      say("请先输入来电号码 / Enter the caller's number first", "error");
      $("caller").focus();
      return Promise.resolve();
    }
    if (state.referred[result.offer.id]) {
      say("已记录过这条推荐 / Already logged", "ok");
      return Promise.resolve();
    }
    state.referred[result.offer.id] = "pending";
    var item = $("result-" + state.selected);
    return call("POST", API + "/referrals", { caller: state.caller,
      merchant_id: result.merchant.id, offer_id: result.offer.id })
      .then(function () {
        state.referred[result.offer.id] = true;
        item.querySelector(".referred").textContent = "✓ 已记录推荐";
        say("已记录推荐：" + result.merchant.name + " / Referral logged", "ok");
      }).catch(function (error) {
        delete state.referred[result.offer.id];
        handle(error);
      });
  }

  // ---- wiring ------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", function () {
    show(Boolean(sessionStorage.getItem(STORE)));
    $("sign-in").addEventListener("submit", function (event) {
      event.preventDefault();
      sessionStorage.setItem(STORE, $("operator-key").value.trim());
      $("operator-key").value = "";
      call("GET", API + "/offers?limit=1").then(function () {
        show(true);
        say("已登录 / Signed in", "ok");
      }).catch(handle);
    });
    $("sign-out").addEventListener("click", function (event) {
      event.preventDefault();
      sessionStorage.removeItem(STORE);
      show(false);
    });
    $("caller-form").addEventListener("submit", function (event) {
      event.preventDefault();
      lookUpCaller(true);
    });
    // A number typed and left (Tab, a click) is looked up too: never priced silently as
    // standard while a number stands in the field.
    $("caller").addEventListener("change", function () { lookUpCaller(false); });
    $("search-form").addEventListener("submit", function (event) { event.preventDefault(); });
    $("q").addEventListener("input", searchSoon);
    $("district").addEventListener("input", searchSoon);
    $("category").addEventListener("change", function () { search(0); });
    $("new-call").addEventListener("click", newCall);
    $("more").addEventListener("click", function () { search(state.results.length); });
    document.addEventListener("keydown", function (event) {
      if ($("desk").hidden) { return; }
      var inField = event.target && /^(INPUT|SELECT)$/.test(event.target.tagName);
      if (event.key === "F2") { event.preventDefault(); $("caller").focus(); $("caller").select(); }
      else if (event.key === "Escape") { event.preventDefault(); newCall(); }
      else if (event.key === "/" && !inField) { event.preventDefault(); $("q").focus(); }
      else if (event.key === "ArrowDown" && event.target.id !== "category") {
        event.preventDefault();
        select(Math.min(state.selected + 1, state.results.length - 1));
      } else if (event.key === "ArrowUp" && event.target.id !== "category") {
        event.preventDefault();
        select(Math.max(state.selected - 1, 0));
      } else if (event.key === "Enter" && event.target.id !== "caller" &&
                 event.target.id !== "operator-key") {
        event.preventDefault();
        refer();
      }
    });
  });
}());
