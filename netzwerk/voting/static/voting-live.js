// Progressive enhancement: refresh "N of M have voted" every 10 seconds.
(function () {
  "use strict";
  var box = document.querySelector(".poll-progress[data-status-url]");
  if (!box || !window.fetch) { return; }
  var target = box.querySelector("[data-voted]");
  var template = target.textContent;
  var timer = window.setInterval(function () {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var numbers = template.match(/\d+/g);
        if (numbers && numbers.length >= 2) {
          var i = 0;
          target.textContent = template.replace(/\d+/g, function () {
            i += 1;
            return i === 1 ? String(data.voted) : (i === 2 ? String(data.eligible) : "");
          });
        }
        if (data.state !== "open") { window.clearInterval(timer); window.location.reload(); }
      })
      .catch(function () { window.clearInterval(timer); });
  }, 10000);
})();
