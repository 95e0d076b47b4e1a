/* Draw every Plotly chart of the page from its data-figure JSON, one after another, once plotly.js
   is ready, so the page text is shown before the charts are drawn. plotly.js comes packed (see
   assets/plotly.gz.js, loaded with defer): window.cjmPlotly is the promise of its being unpacked. */
(function () {
  "use strict";
  // no mode bar: its tooltips would be English in a Russian report, and an owner reads, not zooms
  var config = {displaylogo: false, responsive: true, displayModeBar: false};
  function drawAll() {
    var nodes = Array.prototype.slice.call(document.querySelectorAll("div.plot[data-figure]"));
    var i = 0;
    function next() {
      if (i >= nodes.length) { document.body.setAttribute("data-charts", "ready"); return; }
      var node = nodes[i++];
      var figure = JSON.parse(node.getAttribute("data-figure"));
      node.style.height = "";
      Plotly.newPlot(node, figure.data, figure.layout, config).then(function () { setTimeout(next, 0); });
    }
    next();
  }
  function start() {
    var ready = window.cjmPlotly || (window.Plotly ? Promise.resolve(window.Plotly) : null);
    if (!ready) { console.error("cjm: plotly.js was not loaded (assets/ missing?): charts are not drawn"); return; }
    ready.then(drawAll, function (error) { console.error("cjm: charts are not drawn: " + error.message); });
  }
  if (!document.querySelector("div.plot[data-figure]")) {
    document.body.setAttribute("data-charts", "ready");
  } else if (document.readyState === "loading") {
    window.addEventListener("DOMContentLoaded", start);  // after the deferred assets/plotly.gz.js has run
  } else { start(); }
})();
