/* NEXUS-PRIME charts: draws the Plotly figures the server renders (components/chart.html),
 * in the theme's colours, and keeps them in step with the theme.
 *
 *   [data-chart]                 a chart: figure JSON in script.chart__figure, drawn into
 *                                .chart__plot on page load and on htmx:load (lazy panels);
 *                                gets data-drawn="true" once drawn; purged when htmx removes it
 *   theme                        colours come from CSS variables (--accent, --text, ...);
 *                                charts restyle on `nexus:themechange`, on a change of
 *                                <html data-theme> and of the OS colour scheme
 *   form[data-confirm]           asks before submitting (delete buttons)
 *   [data-submit-on-change]      a select or checkbox that submits its form when changed
 *                                (the dashboard's range and comparison), unless the choice
 *                                shows fields still empty (custom from/to: their own button
 *                                submits)
 *   [data-omit-empty]            a field left out of its form's submit while empty
 *   select[data-toggles="x"]     shows [data-show-when="x"] only for the values listed in
 *                                its data-show-values (the builder's numeric property); a
 *                                checked radio with data-toggles does the same (chart kind);
 *                                with data-disable-when-hidden, hidden fields are disabled
 *   input[data-funnel-step]      once every funnel step is filled, adds another (up to 8)
 *   select[data-names-app]       refills the builder's event/property datalists with the
 *                                names seen by the chosen application
 *
 * Needs window.Plotly (static/vendor/plotly.min.js, loaded before this file).
 */
(function () {
  "use strict";

  var doc = document;
  var root = doc.documentElement;
  var CONFIG = { responsive: true, displayModeBar: false, displaylogo: false, scrollZoom: false };

  /* ---------------------------------------------------------------------
   * Theme
   * ------------------------------------------------------------------ */
  function cssVar(name, fallback) {
    var value = window.getComputedStyle(root).getPropertyValue(name).trim();
    return value || fallback;
  }

  function palette() {
    return {
      text: cssVar("--text", "#15171c"),
      muted: cssVar("--text-muted", "#595e6b"),
      border: cssVar("--border", "#e3e5ea"),
      surface: cssVar("--surface", "#ffffff"),
      surface2: cssVar("--surface-2", "#f4f5f7"),
      danger: cssVar("--danger-solid", "#cc2f2f"),
      font: cssVar("--font-sans", "system-ui, sans-serif"),
      // The first five far apart in hue (a top-5 breakdown): violet and blue, near the
      // accent's indigo, come last.
      series: [
        cssVar("--accent", "#5151cd"),
        cssVar("--teal-fg", "#0b6e69"),
        cssVar("--warning-solid", "#e09400"),
        cssVar("--danger-solid", "#cc2f2f"),
        cssVar("--success-solid", "#1f9d52"),
        cssVar("--info-solid", "#2f74dd"),
        cssVar("--violet-fg", "#6434d1")
      ]
    };
  }

  function withAlpha(color, alpha) {
    var hex = /^#([0-9a-f]{6})$/i.exec(color);
    if (!hex) return color;
    var n = parseInt(hex[1], 16);
    return "rgba(" + ((n >> 16) & 255) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  function copy(value) {
    return JSON.parse(JSON.stringify(value || {}));
  }

  function merge(target, extra) {
    var out = copy(target);
    for (var key in extra) if (Object.prototype.hasOwnProperty.call(extra, key)) out[key] = extra[key];
    return out;
  }

  /* Below this width a legend can reach the right edge, where the "so far" label sits. */
  var NARROW_PX = 480;

  /* The server's figure (structure only) in the current theme's colours, for a plot `width`
   * pixels wide. */
  function themed(figure, width) {
    var p = palette();
    var layout = copy(figure.layout);
    layout.paper_bgcolor = "rgba(0,0,0,0)";
    layout.plot_bgcolor = "rgba(0,0,0,0)";
    layout.colorway = p.series;
    layout.font = merge(layout.font, { family: p.font, color: p.muted });
    layout.hoverlabel = { bgcolor: p.surface, bordercolor: p.border, font: { family: p.font, color: p.text } };
    // Every axis, a second y axis (yaxis2) included.
    Object.keys(layout).filter(function (key) { return /^[xy]axis\d*$/.test(key); }).forEach(function (axis) {
      layout[axis] = merge(layout[axis], {
        gridcolor: p.border,
        linecolor: p.border,
        zerolinecolor: p.border,
        tickfont: { color: p.muted }
      });
    });
    if (layout.legend) layout.legend = merge(layout.legend, { font: merge(layout.legend.font, { color: p.muted }) });
    // The bucket still under way (components/charts.py with_bucket_under_way): a faint band.
    if (layout.shapes) layout.shapes = layout.shapes.map(function (shape) {
      return merge(shape, { fillcolor: withAlpha(p.muted, 0.1) });
    });
    if (layout.annotations) layout.annotations = layout.annotations.filter(function (note) {
      // On a narrow chart with a legend the band and the hover still say "so far".
      return !(note.name === "under way" && layout.showlegend && width < NARROW_PX);
    }).map(function (note) {
      return merge(note, { font: merge(note.font, { color: p.muted, family: p.font }) });
    });

    var data = (figure.data || []).map(function (source, i) {
      var trace = copy(source);
      // Overlays (components/charts.py) name their series in `meta`: a band or forecast
      // takes that series' colour, flagged anomalies and server errors the danger colour.
      var meta = trace.meta || {};
      var color = meta.role === "anomaly" || meta.role === "error" ? p.danger : p.series[(meta.series != null ? meta.series : i) % p.series.length];
      if (trace.type === "indicator") {
        trace.number = merge(trace.number, { font: merge(trace.number && trace.number.font, { color: p.text, family: p.font }) });
        if (trace.title) trace.title = merge(trace.title, { font: merge(trace.title.font, { color: p.muted }) });
        // A change from the previous period: neither colour says good or bad (more errors
        // is an increase too), so both are the muted text colour; the arrow says which way.
        if (trace.delta) {
          var quiet = { color: p.muted };
          trace.delta = merge(trace.delta, { font: { color: p.muted, family: p.font, size: 15 }, increasing: quiet, decreasing: quiet });
        }
      } else if (trace.type === "table") {
        trace.header = merge(trace.header, {
          fill: { color: p.surface2 },
          line: { color: p.border },
          font: { color: p.muted, family: p.font, size: 12 }
        });
        trace.cells = merge(trace.cells, {
          fill: { color: p.surface },
          line: { color: p.border },
          font: { color: p.text, family: p.font, size: 13 }
        });
      } else {
        trace.marker = merge(trace.marker, { color: color });
        if (trace.type === "scatter") trace.line = merge(trace.line, { color: color });
        if (trace.fill || trace.stackgroup) trace.fillcolor = withAlpha(color, meta.role === "band" ? 0.12 : 0.18);
      }
      return trace;
    });
    return { data: data, layout: layout };
  }

  /* ---------------------------------------------------------------------
   * Drawing
   * ------------------------------------------------------------------ */
  function figureOf(container) {
    if (!container._nexusFigure) {
      var script = container.querySelector("script.chart__figure");
      container._nexusFigure = script ? JSON.parse(script.textContent) : { data: [], layout: {} };
    }
    return container._nexusFigure;
  }

  function draw(container) {
    if (container._nexusDrawn || !window.Plotly) return;
    var plot = container.querySelector(".chart__plot");
    if (!plot) return;
    container._nexusDrawn = true;
    var figure = themed(figureOf(container), plot.clientWidth);
    window.Plotly.newPlot(plot, figure.data, figure.layout, CONFIG).then(function () {
      container.setAttribute("data-drawn", "true");
    });
  }

  function drawWithin(scope) {
    if (!scope || !scope.querySelectorAll) return;
    if (scope.matches && scope.matches("[data-chart]")) draw(scope);
    var charts = scope.querySelectorAll("[data-chart]");
    for (var i = 0; i < charts.length; i++) draw(charts[i]);
  }

  var restylePending = false;
  function restyleAll() {
    if (restylePending || !window.Plotly) return;
    restylePending = true;
    window.requestAnimationFrame(function () {
      restylePending = false;
      var charts = doc.querySelectorAll("[data-chart][data-drawn]");
      for (var i = 0; i < charts.length; i++) {
        var plot = charts[i].querySelector(".chart__plot");
        // The data as drawn, not as the page brought it: a live chart has moved on since.
        var figure = themed({ data: plot.data || figureOf(charts[i]).data, layout: figureOf(charts[i]).layout }, plot.clientWidth);
        window.Plotly.react(plot, figure.data, figure.layout, CONFIG);
      }
    });
  }

  doc.addEventListener("nexus:themechange", restyleAll);
  new MutationObserver(restyleAll).observe(root, { attributes: true, attributeFilter: ["data-theme"] });
  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme.addEventListener) scheme.addEventListener("change", restyleAll);
  }

  doc.addEventListener("htmx:load", function (event) {
    drawWithin(event.target);
  });
  doc.addEventListener("htmx:beforeCleanupElement", function (event) {
    var scope = event.target;
    if (!window.Plotly || !scope || !scope.querySelectorAll) return;
    var plots = scope.querySelectorAll(".chart__plot");
    for (var i = 0; i < plots.length; i++) window.Plotly.purge(plots[i]);
  });

  /* ---------------------------------------------------------------------
   * Forms: confirmations, dependent fields, names for autocomplete
   * ------------------------------------------------------------------ */
  doc.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      }
    },
    true
  );

  function syncToggles(select) {
    var name = select.getAttribute("data-toggles");
    var shown = doc.querySelectorAll('[data-show-when="' + name + '"]');
    for (var i = 0; i < shown.length; i++) {
      var values = (shown[i].getAttribute("data-show-values") || "").split(/\s+/);
      shown[i].hidden = values.indexOf(select.value) === -1;
      // Fields hidden this way may also be out of the form: not required, not sent.
      if (shown[i].hasAttribute("data-disable-when-hidden")) {
        shown[i].querySelectorAll("input, select").forEach(function (field) { field.disabled = shown[i].hidden; });
      }
    }
  }

  function submitChoice(form) {
    var shown = form.querySelectorAll("[data-show-when]:not([hidden]) input");
    for (var i = 0; i < shown.length; i++) if (!shown[i].value) return; // custom times: wait for both
    form.requestSubmit();
  }

  /* Empty optional fields ([data-omit-empty]: the dashboard's filter) stay out of the URL. */
  doc.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.hasAttribute("data-omit-empty") && !field.value) field.disabled = true;
    });
  });

  /* Back to a page whose fields were left out of a submit: they are fields again, unless a
     choice hides them (syncToggles: "is set" wants no value). */
  window.addEventListener("pageshow", function () {
    doc.querySelectorAll("[data-omit-empty]").forEach(function (field) {
      field.disabled = field.closest("[data-disable-when-hidden][hidden]") !== null;
    });
  });

  function fillDatalist(id, items, describe) {
    var list = doc.getElementById(id);
    if (!list) return;
    var keep = list.querySelector('option[value="*"]');
    list.textContent = "";
    if (keep) list.appendChild(keep);
    items.forEach(function (item) {
      var option = doc.createElement("option");
      option.value = item.name;
      if (describe) option.textContent = item.events.toLocaleString() + " events";
      list.appendChild(option);
    });
  }

  function loadNames(appId) {
    if (!appId || !window.fetch) return;
    var base = "/v1/applications/" + encodeURIComponent(appId);
    var get = function (path) {
      return window
        .fetch(base + path, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { items: [] };
        });
    };
    get("/event-names").then(function (body) {
      fillDatalist("event-names", body.items || [], true);
    });
    get("/property-names").then(function (body) {
      fillDatalist("property-names", body.items || [], false);
    });
  }

  /* A new blank funnel step after the last one is filled (the server pads the same way). */
  var MAX_FUNNEL_STEPS = 8;
  function growFunnel(input) {
    var steps = doc.querySelectorAll("input[data-funnel-step]");
    var last = steps[steps.length - 1];
    if (input !== last || !input.value.trim() || steps.length >= MAX_FUNNEL_STEPS) return;
    var row = last.parentNode.cloneNode(true);
    var id = "field-funnel-steps-" + steps.length;
    var field = row.querySelector("input");
    var label = row.querySelector("label");
    row.querySelectorAll(".help, .error-text").forEach(function (node) { node.remove(); });
    field.id = id;
    field.value = "";
    field.placeholder = "another step (optional)";
    field.removeAttribute("aria-describedby");
    field.removeAttribute("aria-invalid");
    if (label) { label.htmlFor = id; label.textContent = "Step " + (steps.length + 1); }
    last.parentNode.parentNode.insertBefore(row, last.parentNode.nextSibling);
  }

  doc.addEventListener("input", function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.hasAttribute("data-funnel-step")) growFunnel(el);
  });

  doc.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.type === "radio" && el.checked && el.hasAttribute("data-toggles")) {
      syncToggles(el);
      return;
    }
    if (el instanceof HTMLInputElement && el.hasAttribute("data-submit-on-change") && el.form) {
      submitChoice(el.form);
      return;
    }
    if (!(el instanceof HTMLSelectElement)) return;
    if (el.hasAttribute("data-toggles")) syncToggles(el);
    if (el.hasAttribute("data-submit-on-change") && el.form) submitChoice(el.form);
    if (el.hasAttribute("data-names-app")) loadNames(el.value);
  });

  function init() {
    drawWithin(doc);
    var toggles = doc.querySelectorAll("select[data-toggles], input[data-toggles]:checked");
    for (var i = 0; i < toggles.length; i++) syncToggles(toggles[i]);
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
