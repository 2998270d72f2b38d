// Charts: draws every <canvas data-chart="ID"> from the JSON in <script id="ID"> (written by
// json_script) with Chart.js (static/vendor/chartjs). See templates/reports/_chart.html for the
// data's shape. Each canvas is drawn once, including canvases htmx swaps in later.
//
// Every chart include loads this file; it loads Chart.js itself, once (from its script tag's
// data-chartjs), so several charts on a page, or charts swapped in by htmx, share one copy.
//
// Content-Security-Policy (style-src 'self'): Chart.js sizes its canvas through the CSSOM
// (element.style.x = ...), which CSP allows, and injects no <style> elements; its tooltips and
// legend are drawn on the canvas. The box the canvas fills is sized in app.css (.chart-box).
(function () {
  "use strict";

  // Loaded again by another include or an htmx swap: the first copy does the work.
  if (window.backofficeCharts) {
    window.backofficeCharts.drawAll();
    return;
  }

  var libraryUrl = document.currentScript && document.currentScript.dataset.chartjs;

  // Okabe–Ito: distinguishable with the common colour-vision deficiencies.
  var COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"];
  var instances = new Map();

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function number(value) {
    if (value === null || value === undefined || value === "") return null;
    var parsed = Number(value);
    return isFinite(parsed) ? parsed : null;
  }

  function formatter(axis, currency) {
    var locale = document.documentElement.lang || undefined;
    if (axis === "money") {
      var money;
      try {
        money = new Intl.NumberFormat(locale, { style: "currency", currency: currency || "USD" });
      } catch (error) {  // an unknown currency code: plain numbers with two places
        money = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      }
      return function (value) { return money.format(value); };
    }
    if (axis === "percent") {
      var percent = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
      return function (value) { return percent.format(value) + " %"; };
    }
    var count = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    return function (value) { return count.format(value); };
  }

  // Axis ticks: short (1.2K, $3.4M) so labels stay narrow at 768 px.
  function tickFormatter(axis, currency) {
    var locale = document.documentElement.lang || undefined;
    var options = { notation: "compact", maximumFractionDigits: 1 };
    if (axis === "money") {
      options.style = "currency";
      options.currency = currency || "USD";
    }
    var compact;
    try {
      compact = new Intl.NumberFormat(locale, options);
    } catch (error) {
      compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
    }
    return function (value) {
      return compact.format(value) + (axis === "percent" ? " %" : "");
    };
  }

  function scalesFor(axes, currency) {
    var scales = { x: { grid: { display: false } } };
    axes.forEach(function (axis, index) {
      scales[axis] = {
        type: "linear",
        position: index === 0 ? "left" : "right",
        beginAtZero: true,
        grid: { drawOnChartArea: index === 0 },
        ticks: { callback: tickFormatter(axis, currency) },
      };
    });
    return scales;
  }

  function config(spec, currency) {
    var type = spec.type === "bar" ? "bar" : "line";
    var axes = [];
    var formats = {};
    var datasets = (spec.datasets || []).map(function (dataset, index) {
      var axis = ["money", "percent", "count"].indexOf(dataset.axis) >= 0 ? dataset.axis : "count";
      if (axes.indexOf(axis) < 0) axes.push(axis);
      formats[axis] = formats[axis] || formatter(axis, currency);
      var colour = COLOURS[index % COLOURS.length];
      return {
        label: dataset.label,
        data: (dataset.data || []).map(number),
        yAxisID: axis,
        borderColor: colour,
        backgroundColor: type === "bar" ? colour : colour + "33",
        borderWidth: 2,
        pointRadius: (spec.labels || []).length > 60 ? 0 : 2,
        spanGaps: false,
        tension: 0,
      };
    });
    if (!axes.length) axes.push("count");
    return {
      type: type,
      data: { labels: spec.labels || [], datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion() ? false : { duration: 300 },
        interaction: { mode: "index", intersect: false },
        scales: scalesFor(axes, currency),
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                var format = formats[item.dataset.yAxisID] || String;
                var value = item.raw === null ? "—" : format(item.raw);
                return item.dataset.label + ": " + value;
              },
            },
          },
        },
      },
    };
  }

  function draw(canvas) {
    if (instances.has(canvas)) return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      console.warn("charts.js: no data element #" + canvas.dataset.chart);
      return;
    }
    var spec = JSON.parse(source.textContent);
    var chart = new window.Chart(canvas, config(spec, canvas.dataset.currency));
    canvas.dataset.chartDrawn = "true";
    instances.set(canvas, chart);
  }

  // Charts whose canvas left the page (an htmx swap) are destroyed, freeing their observers.
  function forgetDetached() {
    instances.forEach(function (chart, canvas) {
      if (!canvas.isConnected) {
        if (chart) chart.destroy();
        instances.delete(canvas);
      }
    });
  }

  function drawAll() {
    if (!window.Chart) return;  // Chart.js is still loading: its load event draws
    forgetDetached();
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      try {
        draw(canvas);
      } catch (error) {  // one chart's bad data must not keep the others from drawing
        console.error("charts.js: cannot draw #" + canvas.dataset.chart, error);
        instances.set(canvas, null);  // said once; not retried on every htmx swap
      }
    });
  }

  window.backofficeCharts = {
    drawAll: drawAll,
    chartFor: function (canvas) { return instances.get(canvas); },
  };

  function start() {
    if (window.Chart || !libraryUrl) {
      drawAll();
      return;
    }
    var library = document.createElement("script");
    library.src = libraryUrl;
    library.addEventListener("load", drawAll);
    document.head.appendChild(library);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  document.addEventListener("htmx:load", drawAll);
})();
