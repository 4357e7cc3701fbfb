// Admin pages: behaviour that CSP forbids inline (no inline script or handlers anywhere).
(function () {
  "use strict";
  // Forms that change something important ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });
  // A header checkbox ticks every row checkbox of the same name on the page.
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.getAttribute("data-select-all");
      document.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (row) {
        row.checked = box.checked;
      });
    });
  });
  // Filter selects apply at once; the page number starts over.
  document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      var page = select.form.querySelector("input[name=page]");
      if (page) { page.value = "1"; }
      select.form.submit();
    });
  });
})();
