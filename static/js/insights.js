/* Insights, live over the organisation's insights WebSocket.
 * The inbox: live arrivals, keyboard triage (j/k move, x select, a acknowledge, r resolve,
 * Enter open), bulk selection. An insight's page: teammates' triage, comments and new
 * evidence appear as they happen. Markup is rendered by the server (/insights/{id}/row, the
 * list block, the insight's page), never here. */
(function () {
  "use strict";
  var doc = document;

  // Signed out or no access (a refusal): the page simply stops being live.
  function connect(onInsight) {
    window.nexusSocket("/v1/insights/live", {
      frame: function (frame) { if (frame.type === "insight" && frame.insight) onInsight(frame.insight); }
    });
  }

  /* An insight's page ---------------------------------------------------------------- */
  var detail = doc.querySelector("[data-insight-detail]");
  if (detail) {
    watchDetail(detail);
    return;
  }

  function watchDetail(page) {
    var note = doc.querySelector("[data-live-note]");
    var busy = false;
    var again = false;
    var latest = null;

    // The page is fetched again and its live parts swapped in: one renderer (the server),
    // and a burst of changes costs at most one fetch in flight and one after it. The note
    // names the latest change's status, not that of the one that started the fetch.
    function refresh(insight) {
      latest = insight;
      if (busy) { again = true; return; }
      busy = true;
      fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          doc.querySelectorAll("[data-live-part]").forEach(function (part) {
            var next = fresh.getElementById(part.id);
            // A part someone is working in (focus inside) is left as it is; the next change
            // brings it up to date. The comment form is outside every part: drafts survive.
            if (!next || part.contains(doc.activeElement) || part.innerHTML === next.innerHTML) return;
            part.innerHTML = next.innerHTML;
            if (window.htmx) window.htmx.process(part);
          });
          var at = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
          var status = latest.status.charAt(0).toUpperCase() + latest.status.slice(1);
          if (note) note.textContent = "Updated at " + at + " (now " + status + ").";
        })
        .catch(function () { /* the next change tries again */ })
        .then(function () {
          busy = false;
          if (again) { again = false; refresh(latest); }
        });
    }

    connect(function (insight) {
      if (insight.id === page.dataset.id) refresh(insight);
    });
  }

  /* The inbox ------------------------------------------------------------------------ */
  var list = doc.querySelector("[data-insight-list]");
  if (!list) return;

  var live = doc.querySelector("[data-insights-live]");
  var liveText = live && live.querySelector("[data-live-text]");
  var liveShow = live && live.querySelector("[data-live-show]");
  var pending = {};

  function rows() {
    return Array.prototype.slice.call(list.querySelectorAll("[data-insight-row]"));
  }

  function announcePending() {
    var count = Object.keys(pending).length;
    if (!live || !count) return;
    liveText.textContent = count + (count === 1 ? " new insight" : " new insights") + " — ";
    liveText.hidden = false;
    liveShow.hidden = false;
  }

  function showPending() {
    var fresh = Object.keys(pending);
    pending = {};
    liveText.hidden = true;
    liveShow.hidden = true;
    liveText.textContent = "";
    var url = window.location.pathname + window.location.search;
    window.htmx.ajax("GET", url, { target: "#insight-list", swap: "innerHTML" }).then(function () {
      fresh.forEach(function (id) {
        var row = doc.getElementById("insight-row-" + id);
        if (row) row.classList.add("is-new");
      });
      var first = rows()[0];
      if (first) focusRow(first);
    });
  }

  function onInsight(insight) {
    var row = doc.getElementById("insight-row-" + insight.id);
    if (row) {
      window.htmx.ajax("GET", "/insights/" + insight.id + "/row", { target: row, swap: "outerHTML" });
    } else if (insight.status === "new") {
      pending[insight.id] = true;
      announcePending();
    }
  }

  /* Keyboard ------------------------------------------------------------------------- */
  function current() {
    return list.querySelector("[data-insight-row].is-active");
  }

  function focusRow(row) {
    rows().forEach(function (r) { r.classList.remove("is-active"); r.removeAttribute("aria-current"); });
    row.classList.add("is-active");
    row.setAttribute("aria-current", "true");
    var link = row.querySelector("a.cell-main");
    if (link) link.focus({ preventScroll: false });
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(current());
    var next = index < 0 ? 0 : Math.max(0, Math.min(all.length - 1, index + step));
    focusRow(all[next]);
  }

  function press(row, action) {
    var button = row && row.querySelector('[data-action="' + action + '"]');
    if (button) button.click();
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  var afterG = false;
  doc.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (doc.querySelector("dialog[open]")) return;
    if (afterG) { afterG = false; return; } // "g x" belongs to the global navigation
    var key = event.key;
    if (key === "g") { afterG = true; window.setTimeout(function () { afterG = false; }, 1500); return; }
    var row = current();
    if (key === "j") { event.preventDefault(); move(1); }
    else if (key === "k") { event.preventDefault(); move(-1); }
    else if (key === "x" && row) {
      var box = row.querySelector('input[type="checkbox"]');
      if (box) { event.preventDefault(); box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
    }
    else if (key === "a" && row) { event.preventDefault(); press(row, "acknowledge"); }
    else if (key === "r" && row) { event.preventDefault(); press(row, "resolve"); }
    else if (key === "Enter" && row && event.target === doc.body) { window.location.assign(row.dataset.href); }
  });

  /* Selection ------------------------------------------------------------------------ */
  function countSelected() {
    var label = doc.querySelector("[data-selected-count]");
    if (label) label.textContent = list.querySelectorAll('input[name="ids"]:checked').length + " selected";
  }
  doc.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-all]")) {
      list.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = event.target.checked; });
    }
    if (event.target.matches('input[name="ids"], [data-select-all]')) countSelected();
  });
  doc.addEventListener("htmx:afterSwap", function (event) {
    countSelected();
    // Keep keyboard focus on the row an action just re-rendered.
    var swapped = event.detail && event.detail.elt;
    if (swapped && swapped.matches && swapped.matches("[data-insight-row]")) focusRow(swapped);
  });
  doc.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("[data-insight-row]");
    if (row) { rows().forEach(function (r) { r.classList.remove("is-active"); }); row.classList.add("is-active"); }
  });

  if (liveShow) liveShow.addEventListener("click", showPending);
  if (live) connect(onInsight);
})();
