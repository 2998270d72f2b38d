// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Ask before irreversible actions (a button's or a chosen option's data-confirm). Runs in
  // the capture phase so a refusal stops htmx's submit handler too. A form that the server
  // checks (novalidate) is not confirmed while it is incomplete: it goes as it is and comes
  // back saying what is missing, with nothing done.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var source = event.submitter;
    if (form.noValidate && !form.checkValidity()) return;
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

  // New online orders: htmx polls the nav badge (templates/orders/_new_orders.html); here an
  // unchanged answer is not swapped in, so its live region speaks only when the count
  // changes, and the chime plays when the count goes up, if this browser turned it on.
  // Stored per browser: browsers only let a page play sound after a gesture there anyway.
  var SOUND_KEY = "backoffice.newOrders.sound";
  var HEARD_KEY = "backoffice.newOrders.heard";
  var audio = null;

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (error) { return null; }
  }

  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (error) { /* private mode: no memory */ }
  }

  function soundOn() {
    return stored(SOUND_KEY) === "on";
  }

  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    audio = audio || new Context();
    if (audio.state === "suspended") audio.resume().catch(function () {});
    return audio;
  }

  // Two soft notes, synthesised with the Web Audio API: no sound file, works offline.
  function chime() {
    try {
      playNotes(audioContext());
    } catch (error) {
      // No audio device, or audio refused: the badge still updates.
    }
  }

  function playNotes(context) {
    if (!context) return;
    [880, 1318.5].forEach(function (frequency, i) {
      var start = context.currentTime + 0.02 + i * 0.16;
      var tone = context.createOscillator();
      var volume = context.createGain();
      tone.type = "sine";
      tone.frequency.value = frequency;
      volume.gain.setValueAtTime(0.0001, start);
      volume.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, start + 0.35);
      tone.connect(volume);
      volume.connect(context.destination);
      tone.start(start);
      tone.stop(start + 0.4);
    });
  }

  function badgeCount(root) {
    var badge = root.querySelector("[data-new-orders]");
    return badge ? Number(badge.dataset.newOrders) : 0;
  }

  function badgeState(root) {
    var badge = root.querySelector("[data-new-orders]");
    return badge ? badge.dataset.newOrders + "/" + badge.dataset.since : "";
  }

  // A hidden tab does not ask; it asks at once when it is shown again (the visibilitychange
  // trigger), so the badge is fresh whenever someone can see it.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id === "new-orders" && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target.id !== "new-orders" || !event.detail.shouldSwap) return;
    var incoming = document.createElement("template");
    incoming.innerHTML = event.detail.serverResponse;
    // Compared with what this browser last heard, in any tab: moving between pages or
    // having two tabs open does not ring again for the same orders.
    var count = badgeCount(incoming.content);
    if (count > Number(stored(HEARD_KEY) || 0) && soundOn()) chime();
    store(HEARD_KEY, String(count));
    if (badgeState(incoming.content) === badgeState(target)) event.detail.shouldSwap = false;
  });

  document.querySelectorAll("[data-new-orders-sound]").forEach(function (toggle) {
    toggle.setAttribute("aria-pressed", String(soundOn()));
    toggle.hidden = false;
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-new-orders-sound]");
    if (!toggle) return;
    var on = toggle.getAttribute("aria-pressed") !== "true";
    store(SOUND_KEY, on ? "on" : "off");
    toggle.setAttribute("aria-pressed", String(on));
    if (on) chime(); // this click is the gesture that lets the page play sound; and a preview
  });

  // A page opened later starts with its audio suspended until the user does something there.
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () {
      if (soundOn()) audioContext();
    }, { once: true, capture: true });
  });

  // Print buttons (no inline handlers: the Content-Security-Policy allows none).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  // Close the user menu when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.usermenu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // The order list's bulk change: a tick box that selects every order on the page, and the
  // bar saying what the change will apply to. Without JavaScript the rows' boxes and the
  // "all matching" box still post with the form.
  function bulkForm() {
    return document.querySelector("form[data-bulk]");
  }

  function rowBoxes(form) {
    return document.querySelectorAll('input[name="order"][form="' + form.id + '"]');
  }

  function bulkCount(form) {
    var boxes = Array.prototype.slice.call(rowBoxes(form));
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    var pageBox = document.querySelector("[data-select-page]");
    if (pageBox) {
      pageBox.checked = ticked > 0 && ticked === boxes.length;
      pageBox.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    var matching = form.querySelector("[data-bulk-matching]");
    var count = form.querySelector("[data-bulk-count]");
    if (matching && matching.checked) {
      count.textContent = "All orders matching these filters";
    } else {
      count.textContent = ticked ? ticked + " selected" : "Tick orders to change their status together.";
    }
  }

  document.querySelectorAll("[data-select-page]").forEach(function (box) { box.hidden = false; });
  if (bulkForm()) bulkCount(bulkForm());

  document.addEventListener("change", function (event) {
    var form = bulkForm();
    var target = event.target;
    if (!form) return;
    if (target.matches("[data-select-page]")) {
      rowBoxes(form).forEach(function (box) { box.checked = target.checked; });
    } else if (!target.matches('input[name="order"], [data-bulk-matching]')) {
      return;
    }
    bulkCount(form);
  });

  // A row swapped in by htmx comes unticked.
  document.addEventListener("htmx:afterSettle", function () {
    if (bulkForm()) bulkCount(bulkForm());
  });
  // A type-ahead combobox: `input` (role=combobox) fetches `url`?q=… as the user types and
  // shows the results in `list` (role=listbox); arrows move, Enter or a click chooses, Escape
  // closes. `options.query(text)` gives what to ask for (null: nothing to suggest),
  // `options.render(result, li)` fills an option, `options.choose(result)` acts on it;
  // `options.empty` is what to say when nothing matches (else the list stays closed).
  function combobox(input, list, url, options) {
    var results = [];
    var active = -1;
    var timer = null;
    var latest = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      if (!items.length) return;
      active = (index + items.length) % items.length;
      items.forEach(function (item, i) {
        item.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      var result = results[index];
      if (!result) return;
      close();
      options.choose(result);
    }

    function show(found) {
      results = found;
      active = -1;
      list.textContent = "";
      if (!found.length) {
        if (!options.empty) {
          close();
          return;
        }
        var none = document.createElement("li");
        none.className = "empty";
        none.textContent = options.empty;
        list.appendChild(none);
      }
      found.forEach(function (result, i) {
        var item = document.createElement("li");
        item.id = list.id + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        options.render(result, item);
        // mousedown, not click: the input keeps focus, so its blur does not close the list first.
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function search() {
      var q = options.query(input.value.trim());
      if (q === null) {
        close();
        return;
      }
      var mine = ++latest;
      fetch(url + "?q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.json(); })
        .then(function (data) { if (mine === latest && input === document.activeElement) show(data.results); })
        .catch(close);
    }

    input.addEventListener("input", function () {
      if (options.onInput) options.onInput();
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) {
          search();
        } else {
          highlight(active + (event.key === "ArrowDown" ? 1 : -1));
        }
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  window.Backoffice = { combobox: combobox };

  // The lookup box suggests orders by the first digits of their number; Enter or a click
  // opens the chosen order. Anything else typed is a search, as without JavaScript.
  function numberLookup(box) {
    combobox(
      box.querySelector("input[type=search]"),
      box.querySelector("[role=listbox]"),
      box.dataset.numberLookup,
      {
        query: function (text) { return /^#?\s*\d{1,18}$/.test(text) ? text : null; },
        render: function (result, item) {
          var number = document.createElement("span");
          number.className = "lookup-number";
          number.textContent = "#" + result.number;
          var meta = document.createElement("span");
          meta.className = "lookup-meta";
          meta.textContent = [result.customer, result.status, result.total].join(" · ");
          item.appendChild(number);
          item.appendChild(meta);
        },
        choose: function (result) { window.location.href = result.url; },
      }
    );
  }

  document.querySelectorAll("[data-number-lookup]").forEach(numberLookup);
})();
