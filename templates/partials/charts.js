/* Draw every Plotly chart of the page from its data-figure JSON, one after another, once plotly.js
   (loaded with defer) is ready, so the page text is shown before the charts are drawn. */
(function () {
  "use strict";
  var config = {displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"]};
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
  if (!document.querySelector("div.plot[data-figure]")) {
    document.body.setAttribute("data-charts", "ready");
  } else if (window.Plotly) { drawAll(); } else { window.addEventListener("DOMContentLoaded", drawAll); }
})();
