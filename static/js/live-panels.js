/* Panels kept live. Under a [data-live-panels] root, every element with data-live-app is
 * fetched again (htmx event "nexus:refresh") once events for that application arrive on
 * WS /v1/applications/{id}/live, at most once every data-live-gap seconds (a chart of the
 * last minutes moves with every burst; one of thirty days need not redraw each time).
 * One socket per application. Dashboards authenticate with the session cookie, embeds with
 * the root's data-live-token. [data-live-status] says whether the page is live. */
(function () {
  "use strict";

  var DEFAULT_GAP_S = 3;
  var MAX_RETRY_MS = 30000;

  function start(root) {
    if (!window.htmx || !window.WebSocket) return;
    var token = root.getAttribute("data-live-token");
    var expired = root.getAttribute("data-live-expired") || "Not live: sign in again";
    var status = root.querySelector("[data-live-status]") || document.querySelector("[data-live-status]");
    var byApp = {};
    root.querySelectorAll("[data-live-app]").forEach(function (panel) {
      var app = panel.getAttribute("data-live-app");
      (byApp[app] = byApp[app] || []).push(panel);
    });
    var apps = Object.keys(byApp);
    if (!apps.length) return;
    var open = {};

    function say(text, live) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("live--off", !live);
    }

    function showOpen() {
      var count = apps.filter(function (app) { return open[app]; }).length;
      if (count === apps.length) say("Live", true);
      else say("Reconnecting…", false);
    }

    function schedule(panel) {
      if (panel.nexusRefresh) return; // one refresh already waits for its gap
      var gap = (parseFloat(panel.getAttribute("data-live-gap")) || DEFAULT_GAP_S) * 1000;
      var wait = Math.max(0, gap - (Date.now() - (panel.nexusRefreshed || 0)));
      panel.nexusRefresh = setTimeout(function () {
        panel.nexusRefresh = null;
        panel.nexusRefreshed = Date.now();
        panel.nexusFresh = true;
        window.htmx.trigger(panel, "nexus:refresh");
      }, wait);
    }

    function connect(app, retry) {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var url = scheme + location.host + "/v1/applications/" + app + "/live" + (token ? "?token=" + encodeURIComponent(token) : "");
      var socket = new WebSocket(url);
      socket.onopen = function () { retry = 1000; open[app] = true; showOpen(); };
      socket.onmessage = function (message) {
        var frame;
        try { frame = JSON.parse(message.data); } catch (e) { return; }
        if (frame.type === "events" && frame.total > 0) byApp[app].forEach(schedule);
      };
      socket.onclose = function (event) {
        open[app] = false;
        if (event.code === 4401 || event.code === 4403) { say(expired, false); return; }
        showOpen();
        setTimeout(function () { connect(app, Math.min(retry * 2, MAX_RETRY_MS)); }, retry);
      };
    }

    apps.forEach(function (app) { connect(app, 1000); });
  }

  // A refresh caused by new events asks the server to skip its query cache (a few seconds
  // old, it would hold the numbers already drawn).
  document.addEventListener("htmx:configRequest", function (event) {
    var panel = event.detail.elt;
    if (!panel.nexusFresh) return;
    panel.nexusFresh = false;
    event.detail.headers["X-Nexus-Refresh"] = "events";
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-panels]").forEach(start);
  });
})();
