/* Panels kept live. Under a [data-live-panels] root, every element with data-refresh-app is
 * fetched again (htmx event "nexus:refresh") once any of its data-refresh-events ("*": any)
 * is stored for that application, as announced on WS /v1/applications/{id}/live, at most
 * once every data-refresh-gap seconds (a chart of the last minutes moves with every burst;
 * one of thirty days need not redraw each time). The fetch carries the announcing frame's
 * time (X-Nexus-Refresh), so the server answers from its cache only with a result computed
 * after those events were stored. One socket per application (static/js/socket.js); after a
 * reconnect every panel is fetched once, for what was stored meanwhile. Dashboards
 * authenticate with the session cookie, embeds with the root's data-live-token.
 * [data-live-status] says whether the page is live. A panel holding an open <details> is
 * not refreshed until it is closed. (The overview's live chart is static/js/live.js.) */
(function () {
  "use strict";

  var DEFAULT_GAP_S = 3;
  var REFUSED = {
    4401: "Not live: sign in again",
    4403: "Not live: this application is not yours to watch"
  };

  function start(root) {
    if (!window.htmx || !window.WebSocket) return;
    var token = root.getAttribute("data-live-token");
    var status = root.querySelector("[data-live-status]") || document.querySelector("[data-live-status]");
    var byApp = {};
    root.querySelectorAll("[data-refresh-app]").forEach(function (panel) {
      var app = panel.getAttribute("data-refresh-app");
      (byApp[app] = byApp[app] || []).push(panel);
    });
    var apps = Object.keys(byApp);
    if (!apps.length) return;
    var open = {};
    var refused = null; // once refused, the page stays "not live" until reloaded

    function say(text, live) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("live--off", !live);
    }

    function showState() {
      if (refused) say(refused, false);
      else if (apps.every(function (app) { return open[app]; })) say("Live", true);
      else say("Reconnecting…", false);
    }

    function wants(panel, counts) {
      var events = (panel.getAttribute("data-refresh-events") || "*").split(" ");
      if (events.indexOf("*") >= 0) return true;
      return events.some(function (name) { return counts[name] > 0; });
    }

    function schedule(panel, t) {
      panel.nexusSince = t; // the latest announcement wins
      if (panel.nexusTimer) return; // a refresh already waits for its gap
      var gap = (parseFloat(panel.getAttribute("data-refresh-gap")) || DEFAULT_GAP_S) * 1000;
      var wait = Math.max(0, gap - (Date.now() - (panel.nexusRefreshed || 0)));
      panel.nexusTimer = setTimeout(function () {
        panel.nexusTimer = null;
        // Something the reader opened (an event's properties) is not swapped away under
        // them: the panel catches up once it is closed.
        if (panel.querySelector("details[open]")) { panel.nexusHeld = true; return; }
        panel.nexusRefreshed = Date.now();
        window.htmx.trigger(panel, "nexus:refresh");
      }, wait);
    }

    // "toggle" does not bubble: listen on the way down.
    root.addEventListener("toggle", function (event) {
      var panel = event.target.closest && event.target.closest("[data-refresh-app]");
      if (!panel || !panel.nexusHeld || panel.querySelector("details[open]")) return;
      panel.nexusHeld = false;
      schedule(panel, panel.nexusSince || new Date().toISOString());
    }, true);

    function connect(app) {
      var query = token ? "?token=" + encodeURIComponent(token) : "";
      window.nexusSocket("/v1/applications/" + app + "/live" + query, {
        open: function (reconnected) {
          open[app] = true;
          showState();
          if (reconnected) {
            var now = new Date().toISOString();
            byApp[app].forEach(function (panel) { schedule(panel, now); });
          }
        },
        frame: function (frame) {
          if (frame.type !== "events" || !frame.counts) return;
          byApp[app].forEach(function (panel) { if (wants(panel, frame.counts)) schedule(panel, frame.t); });
        },
        down: function () { open[app] = false; showState(); },
        refused: function (code) {
          open[app] = false;
          refused = root.getAttribute("data-live-expired") || REFUSED[code];
          showState();
        }
      });
    }

    // The refresh's request says which stored events it is for (see the header above).
    root.addEventListener("htmx:configRequest", function (event) {
      var panel = event.detail.elt;
      if (!panel.nexusSince) return;
      event.detail.headers["X-Nexus-Refresh"] = panel.nexusSince;
      panel.nexusSince = null;
    });

    apps.forEach(connect);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-panels]").forEach(start);
  });
})();
