// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Ask before irreversible actions (a button's or a chosen option's data-confirm). Runs in
  // the capture phase so a refusal stops htmx's submit handler too.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var source = event.submitter;
    var select = form.querySelector("select[name=to]");
    var message = (source && source.dataset.confirm) ||
      (select && select.selectedOptions[0] && select.selectedOptions[0].dataset.confirm);
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Filters apply as soon as they change.
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) {
      event.target.form.requestSubmit();
    }
  });

  // "/" jumps to the order lookup from anywhere on the page.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag)) return;
    var search = document.querySelector("[data-search-shortcut]");
    if (search) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  });

  // Copy buttons (the new API key).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.dataset.copy);
    field.select();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = "Copied";
      });
    }
  });

  // Close the user menu when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.usermenu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
})();
