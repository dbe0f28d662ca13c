/* One reconnecting WebSocket to this server, shared by the live scripts (live.js,
 * live-panels.js, health.js, insights.js).
 *
 *   nexusSocket(path, {
 *     frame(frame),        each JSON text frame, parsed (others are skipped)
 *     open(reconnected),   connected; `reconnected` after a drop (frames may have been missed)
 *     down(),              dropped; reconnecting after 1 s, doubling up to 30 s
 *     refused(code),       closed with 4401 (not signed in) or 4403 (not yours): no retry
 *     alive()              optional: false once the page no longer needs the socket
 *   })  → { close() }      closes it for good
 */
(function () {
  "use strict";

  var FIRST_RETRY_MS = 1000;
  var MAX_RETRY_MS = 30000;
  var REFUSALS = [4401, 4403];

  window.nexusSocket = function (path, on) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var retry = FIRST_RETRY_MS;
    var dropped = false;
    var closed = false;
    var socket = null;

    function alive() { return !closed && (!on.alive || on.alive()); }

    function connect() {
      if (!alive()) return;
      socket = new WebSocket(scheme + location.host + path);
      socket.onopen = function () {
        retry = FIRST_RETRY_MS;
        if (on.open) on.open(dropped);
      };
      socket.onmessage = function (message) {
        var frame;
        try { frame = JSON.parse(message.data); } catch (e) { return; }
        if (on.frame) on.frame(frame);
      };
      socket.onclose = function (event) {
        if (REFUSALS.indexOf(event.code) >= 0) { if (on.refused) on.refused(event.code); return; }
        if (!alive()) return;
        dropped = true;
        if (on.down) on.down();
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, MAX_RETRY_MS);
      };
    }

    connect();
    return { close: function () { closed = true; if (socket) socket.close(); } };
  };
})();
