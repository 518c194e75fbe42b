// Campaign pages: the schedule's fields for the chosen kind, and a confirmation before
// stopping a campaign (the message's character count: char_count.js). The pages work
// without it.
(function () {
  "use strict";
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
    document.querySelectorAll(".cmp-form").forEach(schedule);
    document.querySelectorAll("button[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.dataset.confirm)) event.preventDefault();
      });
    });
  });
})();
