// Merchant portal: ask before destructive buttons, and send a form once however often it is clicked.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach((button) => { button.disabled = true; });
});

// The offer form: preview what a ¥100 sale gives while the owner types, and warn when the
// title's 折 is not one of the rates. Only a preview: the server converts and checks.
(() => {
  const form = document.getElementById("offer-form");
  if (!form) { return; }
  const en = form.dataset.lang === "en";
  const tierNames = JSON.parse(form.dataset.tiers || "{}");
  const tiers = ["standard", "silver", "gold", "diamond"];
  const digitsOf = { 一: "1", 二: "2", 两: "2", 三: "3", 四: "4", 五: "5", 六: "6", 七: "7",
    八: "8", 九: "9", 〇: "0", 零: "0" };

  // Exact hundredths of a percent from text, or null: no floats touch the arithmetic.
  const scaled = (text, places) => {
    const match = /^(\d{1,3})(?:\.(\d{1,3}))?$/.exec(text);
    if (!match || (match[2] || "").length > places) { return null; }
    return Number(match[1]) * 10 ** places + Number((match[2] || "").padEnd(places, "0") || 0);
  };
  const toHundredths = (text, unit, blank) => {
    text = text.trim();
    if (text === "") { return blank; }
    if (unit === "percent") {
      const value = scaled(text, 2);
      return value !== null && value <= 9000 ? value : null;
    }
    const zhe = scaled(text, 3); // thousandths of 折: 8.8 → 8800
    return zhe !== null && zhe >= 1000 && zhe <= 10000 ? 10000 - zhe : null;
  };
  const trim = (n, places) => (n / 10 ** places).toFixed(places).replace(/\.?0+$/, "");
  const label = (p) => {
    if (p === 0) { return en ? "No discount" : "无折扣"; }
    return en ? trim(p, 2) + "% off" : trim(10000 - p, 3) + "折";
  };
  const yuan = (fen) => "¥" + Math.floor(fen / 100).toLocaleString("en-US") + "." +
    String(fen % 100).padStart(2, "0");
  const titleZhe = (title) => {
    const match = /(\d+(?:\.\d+)?|[一二两三四五六七八九〇零]{1,3})\s*折/.exec(title);
    if (!match) { return null; }
    let digits = match[1].replace(/[一二两三四五六七八九〇零]/g, (ch) => digitsOf[ch]);
    if (!digits.includes(".") && digits.length >= 2 && digits !== "10") { // 10折: no discount
      digits = digits[0] + "." + digits.slice(1);
    }
    const zhe = Number(digits);
    return zhe > 0 && zhe <= 10 ? zhe : null;
  };

  const output = document.getElementById("offer-preview");
  const warning = document.getElementById("title-warning");
  const update = () => {
    const unit = (form.querySelector("input[name=unit]:checked") || {}).value || "zhe";
    const base = toHundredths(form.elements.discount.value, unit, 0);
    const points = form.elements.points_per_yuan.value.trim() || "0";
    const lines = [];
    const rates = [];
    if (base === null) {
      lines.push(en ? "Enter a valid discount." : "请填写有效的折扣。");
    } else {
      rates.push(base);
      lines.push(en ? `Member price ${yuan(10000 - base)} / ${label(base)} / ${points} points per ¥1`
        : `会员价 ${yuan(10000 - base)} / ${label(base)} / 每消费1元积${points}分`);
      tiers.forEach((tier) => {
        const rate = toHundredths(form.elements[tier + "_discount"].value, unit, undefined);
        if (rate === undefined) { return; }
        if (rate === null) { return; }
        rates.push(rate);
        lines.push(en ? `${tierNames[tier]}: member price ${yuan(10000 - rate)} / ${label(rate)}`
          : `${tierNames[tier]}：会员价 ${yuan(10000 - rate)} / ${label(rate)}`);
      });
    }
    output.replaceChildren(...lines.map((text) => {
      const span = document.createElement("span");
      span.className = "preview-line";
      span.textContent = text;
      return span;
    }));
    const zhe = titleZhe(form.elements.title.value);
    const promised = zhe === null ? null : Math.round(10000 - zhe * 1000);
    if (base === null || promised === null || rates.includes(promised)) {
      warning.hidden = true;
      return;
    }
    const said = trim(Math.round(zhe * 1000), 3) + "折";
    warning.textContent = en
      ? `The title says ${said} (${trim(promised, 2)}% off) but the discount is ${label(base)}. Please check.`
      : `标题写着${said}，但设置的折扣是${label(base)}，请核对。`;
    warning.hidden = false;
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
