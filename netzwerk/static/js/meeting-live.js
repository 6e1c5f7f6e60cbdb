// The live projector view and the speaking-time countdown (no framework).
// The projector polls a small fragment with If-None-Match: an unchanged
// meeting answers 304 and costs the server no rendering.
(function () {
  "use strict";
  var skew = 0; // server clock minus this clock, from the Date header (ms)

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var boxes = document.querySelectorAll("[data-ends-at]");
    for (var i = 0; i < boxes.length; i += 1) {
      var box = boxes[i];
      var ends = Date.parse(box.getAttribute("data-ends-at"));
      if (isNaN(ends)) { continue; }
      var left = Math.round((ends - (Date.now() + skew)) / 1000);
      var out = box.querySelector("[data-left]");
      if (!out) {
        out = document.createElement("strong");
        out.setAttribute("data-left", "");
        out.className = "countdown-left";
        box.appendChild(document.createTextNode(" "));
        box.appendChild(out);
      }
      var sign = left < 0 ? "−" : "";
      var abs = Math.abs(left);
      out.textContent = sign + Math.floor(abs / 60) + ":" + pad(abs % 60);
      box.classList.toggle("countdown-over", left < 0);
    }
  }

  var live = document.getElementById("projector-live");
  if (live && window.fetch) {
    var url = live.getAttribute("data-fragment-url");
    var etag = live.getAttribute("data-etag") ? '"' + live.getAttribute("data-etag") + '"' : null;
    var interval = parseInt(live.getAttribute("data-interval"), 10) || 2000;
    var busy = false;
    var poll = function () {
      if (busy) { return; }
      busy = true;
      var headers = { "Accept": "text/html" };
      if (etag) { headers["If-None-Match"] = etag; }
      fetch(url, { credentials: "omit", cache: "no-store", headers: headers })
        .then(function (r) {
          var date = r.headers.get("Date");
          if (date && !isNaN(Date.parse(date))) { skew = Date.parse(date) - Date.now(); }
          if (r.status === 304) { return null; }
          if (r.status === 404 || r.status === 410) { window.location.reload(); return null; }
          if (!r.ok) { return null; }
          etag = r.headers.get("ETag") || etag;
          return r.text();
        })
        .then(function (html) {
          if (html !== null && html !== undefined) { live.innerHTML = html; tick(); }
        })
        .catch(function () { /* the next poll tries again */ })
        .then(function () { busy = false; });
    };
    window.setInterval(poll, interval);
  }
  if (document.querySelector("[data-ends-at]") || live) {
    tick();
    window.setInterval(tick, 1000);
  }
})();
