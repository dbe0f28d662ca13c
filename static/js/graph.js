/* NEXUS-PRIME knowledge graph: draws the network figure the server lays out
 * (components/graph.py) and shows a node's links when it is clicked.
 *
 *   [data-graph]              figure JSON in script.graph__figure, node details (by id) in
 *                             script.graph__nodes; drawn into .chart__plot with pan (drag) and
 *                             zoom (scroll, or the mode bar's buttons)
 *   #graph-details            filled with the clicked node's links (aria-live region)
 *
 * Needs window.Plotly (static/vendor/plotly.min.js, loaded before this file).
 */
(function () {
  "use strict";

  var CONFIG = {
    responsive: true,
    scrollZoom: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage", "autoScale2d"]
  };

  function cssVar(name, fallback) {
    var value = window.getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function themedLayout(layout) {
    var text = cssVar("--text", "#15171c");
    var out = JSON.parse(JSON.stringify(layout || {}));
    out.paper_bgcolor = "rgba(0,0,0,0)";
    out.plot_bgcolor = "rgba(0,0,0,0)";
    out.font = { family: cssVar("--font-sans", "system-ui, sans-serif"), color: cssVar("--text-muted", "#595e6b") };
    out.hoverlabel = { bgcolor: cssVar("--surface", "#ffffff"), bordercolor: cssVar("--border", "#e3e5ea"), font: { color: text } };
    return out;
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  /* The clicked node's links, built with textContent only (refs come from customers' schemas). */
  function showDetails(node, nodes) {
    var panel = document.getElementById("graph-details");
    if (!panel || !node) return;
    panel.textContent = "";
    panel.appendChild(el("p", node.label, "muted text-sm"));
    panel.appendChild(el("p", node.ref, "mono"));
    if (!node.links.length) {
      panel.appendChild(el("p", "No links.", "muted"));
      return;
    }
    var list = el("ul", "", "stack stack--sm");
    node.links.forEach(function (link) {
      var other = nodes[link.to];
      var verb = link.relation.replace("_", " ");
      var text = link.direction === "out" ? verb + " → " : "← " + verb + " by ";
      var item = el("li", text + (other ? other.ref : link.to) + " (" + Math.round(link.confidence * 100) + "%)", "text-sm");
      list.appendChild(item);
    });
    panel.appendChild(list);
  }

  function draw(container) {
    if (container.getAttribute("data-drawn") === "true" || !window.Plotly) return;
    var plot = container.querySelector(".chart__plot");
    var figure = JSON.parse(container.querySelector(".graph__figure").textContent);
    var nodes = JSON.parse(container.querySelector(".graph__nodes").textContent);
    window.Plotly.newPlot(plot, figure.data, themedLayout(figure.layout), CONFIG).then(function () {
      container.setAttribute("data-drawn", "true");
      plot.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        if (point && typeof point.customdata === "string") showDetails(nodes[point.customdata], nodes);
      });
    });
    document.addEventListener("nexus:themechange", function () {
      window.Plotly.relayout(plot, themedLayout(figure.layout));
    });
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-graph]"), draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
