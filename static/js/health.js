/* NEXUS-PRIME Health tab: connection cards update as health checks come in.
 *
 *   [data-health-app="<id>"]  while on the page, a WebSocket to /v1/applications/<id>/live
 *                             receives {"type": "connection", ...} frames; the matching
 *                             card's status badge, latency, last check and last error are
 *                             rewritten in place, and [data-health-announcer] (aria-live)
 *                             says what changed. Other frame types are ignored.
 */
(function () {
  "use strict";

  var KINDS = { healthy: "success", degraded: "warning", failing: "danger" };

  function field(card, name) { return card.querySelector('[data-field="' + name + '"]'); }

  function capitalise(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

  function badge(status) {
    var span = document.createElement("span");
    span.className = "badge badge--" + (KINDS[status] || "neutral");
    var dot = document.createElement("span");
    dot.className = "badge__dot";
    dot.setAttribute("aria-hidden", "true");
    span.appendChild(dot);
    span.appendChild(document.createTextNode(capitalise(status)));
    return span;
  }

  function apply(frame) {
    var card = document.querySelector('[data-connection-id="' + frame.connection_id + '"]');
    if (!card) return;
    var status = field(card, "status");
    if (status) status.replaceChildren(badge(frame.status));
    var latency = field(card, "latency");
    if (latency) latency.textContent = frame.latency_ms === null ? "—" : frame.latency_ms + " ms";
    var checked = field(card, "checked");
    if (checked) {
      var time = document.createElement("time");
      time.setAttribute("datetime", frame.checked_at);
      time.textContent = new Date(frame.checked_at).toISOString().slice(0, 19).replace("T", " ") + " UTC";
      checked.replaceChildren(time);
    }
    var error = field(card, "error");
    if (error) {
      error.textContent = frame.error || "None";
      error.classList.toggle("error-text", Boolean(frame.error));
    }
    if (frame.status !== frame.previous_status) {
      var announcer = document.querySelector("[data-health-announcer]");
      var title = card.querySelector(".card__title");
      if (announcer) announcer.textContent = (title ? title.textContent : "A connection") + " is now " + frame.status + ".";
    }
  }

  function status(text, live) {
    var el = document.querySelector("[data-live-status]");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("live--off", !live);
  }

  function start(root) {
    var appId = root.getAttribute("data-health-app");
    window.nexusSocket("/v1/applications/" + appId + "/live", {
      open: function () { status("Live", true); },
      frame: function (frame) { if (frame.type === "connection") apply(frame); },
      down: function () { status("Reconnecting…", false); },
      refused: function () { status("Not allowed to watch this application", false); },
      alive: function () { return document.body.contains(root); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-health-app]");
    if (root && root.querySelector("[data-connection-id]")) start(root);
  });
})();
