/* plotly.js {{ version }} (MIT license, https://github.com/plotly/plotly.js), packed by cjm: the
   minified bundle ({{ size }} bytes) gzip-compressed and base64-encoded, so the report stays small and
   still needs no server and no network. Loaded with `defer`; the browser inflates it with
   DecompressionStream("gzip") and runs it from a blob: URL. window.cjmPlotly is a promise of
   window.Plotly that the chart script waits for. */
window.cjmPlotly = (function (packed) {
  "use strict";
  if (window.Plotly) { return Promise.resolve(window.Plotly); }
  if (typeof DecompressionStream !== "function" || typeof Blob.prototype.stream !== "function") {
    return Promise.reject(new Error("this browser cannot inflate plotly.js (no DecompressionStream): open the report in a current browser"));
  }
  var bytes;
  if (typeof Uint8Array.fromBase64 === "function") {
    bytes = Uint8Array.fromBase64(packed);
  } else {
    var binary = atob(packed);
    bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
  }
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).blob().then(function (code) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(new Blob([code], {type: "text/javascript;charset=utf-8"}));
      var script = document.createElement("script");
      script.onload = function () {
        URL.revokeObjectURL(url);
        if (window.Plotly) { resolve(window.Plotly); } else { reject(new Error("plotly.js ran but defined no Plotly")); }
      };
      script.onerror = function () { URL.revokeObjectURL(url); reject(new Error("plotly.js could not be run")); };
      script.src = url;
      document.head.appendChild(script);
    });
  });
})("{{ data }}");
