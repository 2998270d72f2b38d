// The transactions grid: the item type-ahead, selecting rows (click, shift-click, the page,
// everything matching), moving between rows with the keyboard, and the row menu (right-click,
// the ContextMenu key or Shift+F10, the ⋯ button). Without it the page still works: the
// checkboxes and the action buttons post a plain form, and the item filter takes a name.
(function () {
  "use strict";

  var MENU_KEYS_MS = 400; // a keyboard-opened menu swallows the contextmenu event that follows

  function pluralItems(count) {
    return count.toLocaleString() + (count === 1 ? " item" : " items");
  }

  // ---- Filters: drop empty fields from the URL; the item type-ahead ------------------------

  function filterForm(form) {
    form.addEventListener("submit", function () {
      var item = form.querySelector("input[name=item]");
      var name = form.querySelector("input[name=item_name]");
      if (name && !name.value.trim() && item) item.value = "";
      Array.prototype.forEach.call(form.elements, function (field) {
        var redundant = field === name && item && item.value;
        if (field.name && (field.value === "" || redundant)) field.disabled = true;
      });
    });
    // Coming back to the page (history) must find the fields usable again.
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(form.elements, function (field) { field.disabled = false; });
    });
  }

  // The item filter: a combobox (app.js) over the products; choosing one filters the grid.
  function typeahead(box) {
    var input = box.querySelector("input[type=search]");
    var hidden = box.querySelector("input[name=item]");
    window.Backoffice.combobox(input, box.querySelector("[role=listbox]"), box.dataset.typeahead, {
      query: function (text) { return text || null; },
      empty: "No item has a word starting so.",
      render: function (result, item) {
        item.textContent = result.name + (result.active ? "" : " (no longer sold)");
      },
      choose: function (result) {
        input.value = result.name;
        hidden.value = result.id;
        input.form.requestSubmit();
      },
      onInput: function () { hidden.value = ""; }, // a name typed is not a choice until one is picked
    });
  }

  // ---- Rows: selection, keyboard, the row menu ----------------------------------------------

  function itemsGrid(table) {
    var form = document.getElementById("grid-actions");
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-line]"));
    if (!rows.length) return;
    var boxes = rows.map(function (row) { return row.querySelector("input[name=line]"); });
    var selectable = boxes.every(Boolean);
    var pageBox = table.querySelector("[data-select-page]");
    var status = form.querySelector("[data-selection-status]");
    var banner = form.querySelector("[data-select-banner]");
    var bannerText = form.querySelector("[data-banner-text]");
    var matchButton = form.querySelector("[data-select-matching]");
    var clearButton = form.querySelector("[data-clear-selection]");
    var scope = form.querySelector("input[name=scope]");
    var bar = form.querySelector(".grid-actionbar");
    var actionButtons = document.querySelectorAll("button[name=action]");
    var morePages = form.dataset.morePages === "true";
    var matching = null; // how many lines "every match" selected, once counted
    var anchor = null; // the row a shift-click range starts from

    // -- selection
    function selectedCount() {
      return boxes.filter(function (box) { return box && box.checked; }).length;
    }

    function setRow(i, on) {
      if (!selectable) return;
      boxes[i].checked = on;
      rows[i].classList.toggle("is-selected", on);
    }

    function setRange(from, to, on) {
      var low = Math.min(from, to);
      var high = Math.max(from, to);
      for (var i = low; i <= high; i++) setRow(i, on);
    }

    function selectOnly(i) {
      rows.forEach(function (_, j) { setRow(j, j === i); });
    }

    function changed() {
      // Any change to the rows chosen ends a selection of every match.
      matching = null;
      scope.value = "page";
      refresh();
    }

    function refresh() {
      var count = selectedCount();
      var all = count === rows.length;
      if (pageBox) {
        pageBox.checked = all;
        pageBox.indeterminate = count > 0 && !all;
      }
      var label;
      if (matching !== null) {
        label = "All " + pluralItems(matching) + " matching these filters are selected.";
      } else if (count) {
        label = pluralItems(count) + " selected.";
      } else {
        label = "Select items with their checkboxes, or right-click a row.";
      }
      if (status) status.textContent = label;
      if (bar) bar.classList.toggle("has-selection", count > 0);
      actionButtons.forEach(function (button) {
        // The bar's buttons wait for a selection; the menu's always have its row.
        if (form.contains(button)) button.disabled = count === 0;
        if (matching !== null) {
          button.dataset.confirm = button.textContent.trim() + ": apply to all " +
            pluralItems(matching) + " matching these filters?";
        } else {
          delete button.dataset.confirm;
        }
      });
      if (banner) {
        banner.hidden = !(all && morePages);
        matchButton.hidden = matching !== null;
        clearButton.hidden = matching === null;
        if (matching === null) {
          bannerText.textContent = "All " + pluralItems(rows.length) + " on this page are selected.";
        } else {
          bannerText.textContent = "All " + pluralItems(matching) + " matching these filters are selected.";
        }
      }
    }

    table.addEventListener("click", function (event) {
      var row = event.target.closest("tr[data-line]");
      if (!row || !selectable) return;
      var i = rows.indexOf(row);
      if (event.target.matches("input[name=line]")) {
        if (event.shiftKey && anchor !== null) setRange(anchor, i, event.target.checked);
        else setRow(i, event.target.checked);
      } else if (event.target.closest("a, button, input, label, select")) {
        return;
      } else if (String(window.getSelection()).length) {
        return; // selecting text to copy, not rows
      } else {
        var on = !boxes[i].checked;
        if (event.shiftKey && anchor !== null) setRange(anchor, i, on);
        else setRow(i, on);
      }
      anchor = i;
      changed();
    });
    // A shift-click extends the selection; it should not also select the text in between.
    table.addEventListener("mousedown", function (event) {
      if (event.shiftKey && event.target.closest("tbody tr[data-line]")) event.preventDefault();
    });

    if (pageBox && selectable) {
      pageBox.hidden = false;
      pageBox.addEventListener("change", function () {
        rows.forEach(function (_, i) { setRow(i, pageBox.checked); });
        anchor = null;
        changed();
      });
    }

    if (matchButton) {
      matchButton.addEventListener("click", function () {
        var filters = form.querySelector("input[name=filters]").value;
        matchButton.disabled = true;
        fetch(form.dataset.countUrl + "?" + filters, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        })
          .then(function (response) { return response.json(); })
          .then(function (data) {
            matchButton.disabled = false;
            if (data.more) {
              bannerText.textContent = "More than " + data.cap.toLocaleString() +
                " items match these filters: narrow them to act on every match at once.";
              matchButton.hidden = true;
              return;
            }
            matching = data.count;
            scope.value = "matching";
            refresh();
          })
          .catch(function () { matchButton.disabled = false; });
      });
      clearButton.addEventListener("click", function () {
        rows.forEach(function (_, i) { setRow(i, false); });
        changed();
        if (rows[0]) rows[0].focus();
      });
    }

    // -- keyboard: rows are focusable, one tab stop for the table (roving tabindex)
    function focusRow(i) {
      i = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach(function (row, j) { row.tabIndex = j === i ? 0 : -1; });
      rows[i].focus();
      return i;
    }
    rows.forEach(function (row, j) { row.tabIndex = j === 0 ? 0 : -1; });
    table.addEventListener("focusin", function (event) {
      var row = event.target.closest("tr[data-line]");
      if (!row) return;
      rows.forEach(function (other) { other.tabIndex = other === row ? 0 : -1; });
    });

    var keyOpenedAt = 0;
    table.addEventListener("keydown", function (event) {
      var row = event.target.closest("tr[data-line]");
      if (!row) return;
      var i = rows.indexOf(row);
      var onRow = event.target === row;
      if (event.key === "ContextMenu" || (event.key === "F10" && event.shiftKey)) {
        event.preventDefault();
        keyOpenedAt = Date.now();
        openMenu(row, null, row);
        return;
      }
      if (!onRow) return; // links, checkboxes and buttons keep their own keys
      var to = null;
      if (event.key === "ArrowDown") to = i + 1;
      else if (event.key === "ArrowUp") to = i - 1;
      else if (event.key === "Home") to = 0;
      else if (event.key === "End") to = rows.length - 1;
      if (to !== null) {
        event.preventDefault();
        var landed = focusRow(to);
        if (event.shiftKey && selectable) {
          if (anchor === null) anchor = i;
          setRange(anchor, landed, true);
          changed();
        }
        return;
      }
      if (event.key === " " && selectable) {
        event.preventDefault();
        setRow(i, !boxes[i].checked);
        anchor = i;
        changed();
      } else if (event.key === "Enter") {
        window.location.href = row.dataset.orderUrl;
      }
    });

    // -- the row menu
    var menu = document.getElementById("row-menu");
    var items = menu ? Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]")) : [];
    var invoker = null;
    items.forEach(function (item) { item.tabIndex = -1; });

    function closeMenu(returnFocus) {
      if (!menu || menu.hidden) return;
      menu.hidden = true;
      if (invoker && invoker.hasAttribute("aria-expanded")) invoker.setAttribute("aria-expanded", "false");
      if (returnFocus && invoker) invoker.focus();
      invoker = null;
    }

    function openMenu(row, point, from) {
      if (!menu) return;
      closeMenu(false);
      var i = rows.indexOf(row);
      // As in a file manager: right-clicking a row outside the selection selects that row alone.
      if (selectable && !boxes[i].checked) {
        selectOnly(i);
        anchor = i;
        changed();
      }
      items.forEach(function (item) {
        var name = item.dataset.menuLink;
        if (!name) return;
        var key = name === "order" ? "orderUrl" : "link" + name.charAt(0).toUpperCase() + name.slice(1);
        var url = row.dataset[key];
        if (url) {
          item.href = url;
          item.removeAttribute("aria-disabled");
          item.removeAttribute("title");
        } else {
          item.removeAttribute("href");
          item.setAttribute("aria-disabled", "true");
          item.title = item.dataset.unavailable || "";
        }
      });
      invoker = from;
      if (from.hasAttribute("aria-haspopup")) from.setAttribute("aria-expanded", "true");
      menu.hidden = false;
      var rect = from.getBoundingClientRect();
      var x = point ? point.x : (from === row ? rect.left + 48 : rect.right - menu.offsetWidth);
      var y = point ? point.y : rect.bottom;
      x = Math.max(4, Math.min(x, window.innerWidth - menu.offsetWidth - 4));
      if (y + menu.offsetHeight > window.innerHeight - 4) y = Math.max(4, (point ? point.y : rect.top) - menu.offsetHeight);
      menu.style.left = x + "px";
      menu.style.top = y + "px";
      items[0].focus();
    }

    if (menu) {
      table.addEventListener("contextmenu", function (event) {
        var row = event.target.closest("tr[data-line]");
        if (!row) return;
        event.preventDefault();
        if (Date.now() - keyOpenedAt < MENU_KEYS_MS) return;
        openMenu(row, { x: event.clientX, y: event.clientY }, row);
      });
      table.querySelectorAll("[data-row-menu]").forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function (event) {
          event.stopPropagation();
          var row = button.closest("tr[data-line]");
          if (invoker === button) closeMenu(true);
          else openMenu(row, null, button);
        });
      });
      menu.addEventListener("keydown", function (event) {
        var i = items.indexOf(document.activeElement);
        var to = null;
        if (event.key === "ArrowDown") to = i + 1;
        else if (event.key === "ArrowUp") to = i - 1;
        else if (event.key === "Home") to = 0;
        else if (event.key === "End") to = items.length - 1;
        if (to !== null) {
          event.preventDefault();
          items[(to + items.length) % items.length].focus();
        } else if (event.key === "Escape" || event.key === "Tab") {
          event.preventDefault();
          closeMenu(true);
        } else if (event.key === " " && document.activeElement.tagName === "A") {
          event.preventDefault();
          document.activeElement.click();
        }
      });
      menu.addEventListener("click", function (event) {
        var item = event.target.closest("[role=menuitem]");
        if (item && item.getAttribute("aria-disabled") === "true") event.preventDefault();
      });
      document.addEventListener("mousedown", function (event) {
        if (!menu.hidden && !menu.contains(event.target) && !event.target.closest("[data-row-menu]")) {
          closeMenu(false);
        }
      });
      window.addEventListener("resize", function () { closeMenu(false); });
      window.addEventListener("scroll", function () { closeMenu(false); }, true);
    }

    refresh();
  }

  var filters = document.querySelector(".grid-filters");
  if (filters) filterForm(filters);
  document.querySelectorAll("[data-typeahead]").forEach(typeahead);
  var table = document.querySelector("[data-grid]");
  if (table && document.getElementById("grid-actions")) itemsGrid(table);
})();
