// Progress of a background render (progressive enhancement: without
// JavaScript the page has a refresh link).  Polls the job's status every
// 1.5 seconds, shows its stage and percentage, and loads the finished page
// (or document) when the job has ended.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-job-status");
  var done = box.getAttribute("data-job-done");
  var bar = box.querySelector("[data-job-progress]");
  var percent = box.querySelector("[data-job-percent]");
  var stage = box.querySelector("[data-job-stage]");

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { return; }
        if (bar) { bar.value = status.progress; bar.textContent = status.progress + " %"; }
        if (percent) { percent.textContent = status.progress + " %"; }
        if (stage) { stage.textContent = status.stage; }
        if (status.state === "failed") {
          box.textContent = status.message || status.stage;
          return;
        }
        if (status.finished) { window.location.assign(done); return; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1500);
})();
