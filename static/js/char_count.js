// A textarea's live character count: <textarea id="x" data-max="500"> and an element
// data-count-for="x" showing the count (its parent marked .over past the maximum). The
// campaign pages and the portal's report form use it; the pages work without it.
(function () {
  "use strict";
  function count(area) {
    var shown = document.querySelector('[data-count-for="' + area.id + '"]');
    if (!shown) return;
    var update = function () {
      var n = Array.from(area.value).length;
      shown.textContent = n;
      shown.parentElement.classList.toggle("over", n > Number(area.dataset.max));
    };
    area.addEventListener("input", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-max]").forEach(count);
  });
})();
