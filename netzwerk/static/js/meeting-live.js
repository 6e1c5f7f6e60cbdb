// The live projector view, the live cockpit and the speaking-time countdown
// (no framework).  Both poll a small fragment with If-None-Match: an
// unchanged meeting answers 304 and costs the server no rendering.  Without
// script, both pages still work (the cockpit has its "Refresh" button).
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
  // The cockpit: the fragment holds every live region with a digest of what
  // it shows; only a region whose digest changed is replaced, and never one
  // the chair is working in (focus or a typed value): it is taken next time.
  var board = document.querySelector("[data-live-cockpit]");

  function busyIn(root) {
    var active = document.activeElement;
    if (active && active !== document.body && root.contains(active)) { return true; }
    var fields = root.querySelectorAll("input[type=text], input:not([type]), textarea");
    for (var i = 0; i < fields.length; i += 1) {
      if (fields[i].value) { return true; }
    }
    return false;
  }

  function replaceRegion(mine, theirs) {
    var open = [];
    var details = mine.querySelectorAll("details[open][id]");
    for (var i = 0; i < details.length; i += 1) { open.push(details[i].id); }
    mine.innerHTML = theirs.innerHTML;
    mine.setAttribute("data-live-digest", theirs.getAttribute("data-live-digest"));
    for (var j = 0; j < open.length; j += 1) {
      var again = document.getElementById(open[j]);
      if (again && mine.contains(again)) { again.open = true; }
    }
  }

  function applyCockpit(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var root = doc.querySelector("[data-live-page]");
    if (!root) { return false; }
    if (root.getAttribute("data-live-page") !== board.getAttribute("data-live-page")) {
      // The meeting's state or its current item changed: the page's forms too.
      if (busyIn(board)) { return false; }
      window.location.reload();
      return false;
    }
    var complete = true;
    var regions = root.querySelectorAll("[data-live-region]");
    for (var i = 0; i < regions.length; i += 1) {
      var name = regions[i].getAttribute("data-live-region");
      var mine = board.querySelector('[data-live-region="' + name + '"]');
      if (!mine || mine.getAttribute("data-live-digest") === regions[i].getAttribute("data-live-digest")) { continue; }
      if (busyIn(mine)) { complete = false; continue; }
      replaceRegion(mine, regions[i]);
    }
    return complete;
  }

  if (board && window.fetch && window.DOMParser) {
    var boardUrl = board.getAttribute("data-fragment-url");
    var boardEtag = board.getAttribute("data-etag") ? '"' + board.getAttribute("data-etag") + '"' : null;
    var boardInterval = parseInt(board.getAttribute("data-interval"), 10) || 2000;
    var boardBusy = false;
    var boardTimer = null;
    var pollBoard = function () {
      if (boardBusy) { return; }
      boardBusy = true;
      var headers = { "Accept": "text/html" };
      if (boardEtag) { headers["If-None-Match"] = boardEtag; }
      var nextEtag = null;
      fetch(boardUrl, { credentials: "same-origin", cache: "no-store", headers: headers })
        .then(function (r) {
          var date = r.headers.get("Date");
          if (date && !isNaN(Date.parse(date))) { skew = Date.parse(date) - Date.now(); }
          if (r.redirected || r.status === 401 || r.status === 403 || r.status === 404) {
            // Logged out or no longer allowed: stop; the "Refresh" button remains.
            window.clearInterval(boardTimer);
            return null;
          }
          if (r.status === 304 || !r.ok) { return null; }
          nextEtag = r.headers.get("ETag");
          return r.text();
        })
        .then(function (html) {
          if (html === null || html === undefined) { return; }
          if (applyCockpit(html) && nextEtag) { boardEtag = nextEtag; }
          tick();
        })
        .catch(function () { /* the next poll tries again */ })
        .then(function () { boardBusy = false; });
    };
    boardTimer = window.setInterval(pollBoard, boardInterval);
  }

  if (document.querySelector("[data-ends-at]") || live || board) {
    tick();
    window.setInterval(tick, 1000);
  }
})();
