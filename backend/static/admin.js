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
  // Filter selects apply at once; the page number starts over.
  document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      var page = select.form.querySelector("input[name=page]");
      if (page) { page.value = "1"; }
      select.form.submit();
    });
  });
})();
