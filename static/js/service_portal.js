// 报修 / 办理业务: the description's live character count (the page works without it).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-max]").forEach(function (area) {
      var shown = document.querySelector('[data-count-for="' + area.id + '"]');
      if (!shown) return;
      var update = function () {
        var n = Array.from(area.value).length;
        shown.textContent = n;
        shown.parentElement.classList.toggle("over", n > Number(area.dataset.max));
      };
      area.addEventListener("input", update);
      update();
    });
  });
})();
