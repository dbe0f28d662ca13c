/* NEXUS-PRIME live chart: the overview's "Live" chart moves every second.
 *
 *   [data-live-app="<id>"]   wraps a chart drawn by charts.js; while it is on the page, a
 *                            WebSocket to /v1/applications/<id>/live receives delta frames
 *                            ({"type": "events", "total": n, ...}) and every second the
 *                            chart gains the last second's count with Plotly.extendTraces
 *                            (no redraw), and its average line the mean of the last
 *                            seconds. Reconnects with back-off; [data-live-status]
 *                            says whether it is live.
 */
(function () {
  "use strict";

  var WINDOW_POINTS = 300;
  var active = null;

  function status(text, live) {
    var el = document.querySelector("[data-live-status]");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("live--off", !live);
  }

  function utcLabel(date) {
    // charts.js figures use naive UTC times ("YYYY-MM-DD HH:MM:SS").
    return date.toISOString().slice(0, 19).replace("T", " ");
  }

  /* The y axis for the counts now in the window, as components/charts.py y_ticks draws
   * it: all zero, a flat line at the bottom; under SMALL_COUNT, a tick per whole number;
   * else Plotly's own. Relaid out only when the axis drawn differs (not every second). */
  var SMALL_COUNT = 5;
  function fitCounts(plot) {
    var top = Math.max.apply(null, plot.data[0].y.map(function (v) { return Math.abs(v) || 0; }));
    var kind = top === 0 ? "zero" : top < SMALL_COUNT ? "small" : "auto";
    var y = plot.layout.yaxis || {};
    if (kind === (y.tickvals ? "zero" : y.dtick === 1 ? "small" : "auto")) return; // (a redraw may have reset it)
    var axis = { "yaxis.autorange": kind !== "zero", "yaxis.dtick": null, "yaxis.tickvals": null, "yaxis.range": null };
    if (kind === "zero") { axis["yaxis.range"] = [0, 1]; axis["yaxis.tickvals"] = [0]; }
    if (kind === "small") axis["yaxis.dtick"] = 1;
    window.Plotly.relayout(plot, axis);
  }

  function start(wrapper) {
    var plot = wrapper.querySelector(".chart__plot");
    var appId = wrapper.getAttribute("data-live-app");
    var pending = 0;
    var socket = null;
    var stopped = false;

    function connect() {
      socket = window.nexusSocket("/v1/applications/" + appId + "/live", {
        open: function () { status("Live", true); },
        frame: function (frame) { if (frame.type === "events") pending += frame.total; },
        down: function () { status("Reconnecting…", false); },
        refused: function () { status("Not allowed to watch this application", false); },
        alive: function () { return !stopped; }
      });
    }

    var ticker = setInterval(function () {
      if (!document.body.contains(wrapper)) { stop(); return; }
      if (!plot.data) return; // not drawn yet
      // Trace 1 is the average line (app/domain/applications/overview.py live_figure): the
      // mean of the last `window` seconds, this one included.
      var window_s = plot.data[1].meta.window;
      var last = plot.data[0].y.slice(1 - window_s).concat([pending]);
      var mean = last.reduce(function (a, b) { return a + b; }, 0) / last.length;
      var at = utcLabel(new Date());
      window.Plotly.extendTraces(plot, { x: [[at], [at]], y: [[pending], [Math.round(mean * 100) / 100]] }, [0, 1], WINDOW_POINTS);
      pending = 0;
      fitCounts(plot);
    }, 1000);

    function stop() {
      stopped = true;
      clearInterval(ticker);
      if (socket) socket.close();
      if (active && active.wrapper === wrapper) active = null;
      status("Paused: showing a range", false);
    }

    connect();
    return { wrapper: wrapper, stop: stop };
  }

  function scan(root) {
    var wrapper = (root || document).querySelector("[data-live-app]");
    if (!wrapper) {
      if (active && !document.body.contains(active.wrapper)) active.stop();
      return;
    }
    if (active && active.wrapper === wrapper) return;
    if (active) active.stop();
    active = start(wrapper);
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function () { scan(document); });
})();
