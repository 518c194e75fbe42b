// Campaign pages: the message's live character count, the schedule's fields for the chosen
// kind, and a confirmation before stopping a campaign. The pages work without it.
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
  function schedule(form) {
    var radios = form.querySelectorAll('input[name="schedule_kind"]');
    var update = function () {
      var picked = form.querySelector('input[name="schedule_kind"]:checked');
      form.querySelectorAll("[data-schedule]").forEach(function (box) {
        box.hidden = !picked || box.dataset.schedule !== picked.value;
      });
    };
    radios.forEach(function (r) { r.addEventListener("change", update); });
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-max]").forEach(count);
    document.querySelectorAll(".cmp-form").forEach(schedule);
    document.querySelectorAll("button[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.dataset.confirm)) event.preventDefault();
      });
    });
  });
})();
