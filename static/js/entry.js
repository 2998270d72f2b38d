// Order entry (seed 003): the add-item dialog and keyboard-first suggestion lists.
(function () {
  "use strict";

  // A button with data-dialog opens that <dialog> (htmx fills its body); Escape closes it
  // (the browser's own), and so does a data-dialog-close button.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.querySelector(opener.getAttribute("data-dialog"));
      var menu = opener.closest("details");
      if (menu) menu.open = false;
      if (dialog && !dialog.open) dialog.showModal();
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) closer.closest("dialog").close();
    // An item's ⋯ menu closes when clicking elsewhere, as the top bar's menus do.
    document.querySelectorAll("details.line-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // A dialog's new body takes the focus where its autofocus says (the search box, the
  // variant choice, the quantity); suggestions swapped in while typing leave it alone.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !target.hasAttribute("data-dialog-body")) return;
    var focus = target.querySelector("[autofocus]") || target.querySelector("input, select, button");
    if (focus) focus.focus();
  });

  function suggestions(input) {
    var list = document.querySelector(input.getAttribute("data-suggest-input"));
    return list ? Array.prototype.slice.call(list.querySelectorAll("[data-suggestion]")) : [];
  }

  // In a suggesting input, Enter picks the first suggestion and ArrowDown walks into them;
  // in the list, the arrows move and ArrowUp from the first goes back to the input.
  document.addEventListener("keydown", function (event) {
    var input = event.target.closest("[data-suggest-input]");
    if (input) {
      var found = suggestions(input);
      if (!found.length) {
        if (event.key === "Enter") event.preventDefault();
        return;
      }
      if (event.key === "Enter") {
        event.preventDefault();
        // Typed fast, Enter can come before htmx has bound the new suggestion: bind it now
        // (htmx.process does nothing to one it has bound already).
        if (window.htmx) window.htmx.process(found[0]);
        found[0].click();
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        found[0].focus();
      }
      return;
    }
    var item = event.target.closest("[data-suggestion]");
    if (!item || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
    var box = item.closest("[id]");
    var owner = document.querySelector('[data-suggest-input="#' + box.id + '"]');
    var all = owner ? suggestions(owner) : [];
    var at = all.indexOf(item);
    event.preventDefault();
    if (event.key === "ArrowDown" && at < all.length - 1) all[at + 1].focus();
    if (event.key === "ArrowUp") (at > 0 ? all[at - 1] : owner).focus();
  });
})();
