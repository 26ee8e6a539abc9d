// The queue's bulk bar: show the value field of the chosen action, count the selection,
// "select all". The table's polling pauses while a ticket is selected (hx-trigger filter).
(function () {
  "use strict";
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const action = form.querySelector("[name=action]");
  const count = document.getElementById("bulk-count");
  function showValueField() {
    form.querySelectorAll("[data-for]").forEach(function (p) {
      p.hidden = p.dataset.for !== action.value;
    });
  }
  function recount() {
    const n = document.querySelectorAll(".bulk-pick:checked").length;
    count.textContent = n ? n + " selected" : "";
  }
  action.addEventListener("change", showValueField);
  document.addEventListener("change", function (event) {
    if (event.target.id === "bulk-all") {
      document.querySelectorAll(".bulk-pick").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.id === "bulk-all" || event.target.classList.contains("bulk-pick")) recount();
  });
  showValueField();
  recount();
})();
