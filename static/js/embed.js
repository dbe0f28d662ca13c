/* NEXUS-PRIME embedded widget: subscribes to the application's live stream with the embed
 * token and refreshes the panels (htmx "nexus:refresh") when events arrive, at most once
 * every few seconds. */
(function () {
  "use strict";

  var MIN_GAP_MS = 3000;

  function start(root) {
    var token = root.getAttribute("data-embed-token");
    var appId = root.getAttribute("data-embed-app");
    var status = root.querySelector("[data-embed-status]");
    if (!appId || !window.htmx) return;
    var last = 0;
    var timer = null;
    var retry = 1000;

    function say(text, live) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("live--off", !live);
    }

    function refresh() {
      timer = null;
      last = Date.now();
      root.querySelectorAll(".embed__panel").forEach(function (panel) { window.htmx.trigger(panel, "nexus:refresh"); });
    }

    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + location.host + "/v1/applications/" + appId + "/live?token=" + encodeURIComponent(token));
      socket.onopen = function () { retry = 1000; say("Live", true); };
      socket.onmessage = function () {
        if (timer) return;
        timer = setTimeout(refresh, Math.max(0, MIN_GAP_MS - (Date.now() - last)));
      };
      socket.onclose = function (event) {
        if (event.code === 4401 || event.code === 4403) { say("This embed has expired", false); return; }
        say("Reconnecting…", false);
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      };
    }

    connect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-embed-token]");
    if (root) start(root);
  });
})();
