// Autosave of the minutes editor (progressive enhancement: the form works
// without it).  After a pause in typing, the form is sent with fetch; the
// answer carries the new revision of every item, which goes back into the
// hidden fields.  On a conflict autosaving stops and the editor is asked to
// save with the button, which shows both texts side by side.
(function () {
  "use strict";
  var form = document.querySelector("form.minutes-editor[data-autosave]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("autosave-status");
  var timer = null;
  var busy = false;
  var again = false;
  var stopped = false;

  function say(text) { if (status) { status.textContent = text; } }

  function send() {
    if (stopped) { return; }
    if (busy) { again = true; return; }
    busy = true;
    say(form.getAttribute("data-saving") || "…");
    fetch(form.getAttribute("data-autosave"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      var revisions = result.data.revisions || {};
      Object.keys(revisions).forEach(function (itemId) {
        if ((result.data.conflicts || []).indexOf(Number(itemId)) !== -1) { return; }
        var hidden = form.querySelector('input[data-revision="' + itemId + '"]');
        if (hidden) { hidden.value = String(revisions[itemId]); }
      });
      if (!result.ok) { stopped = true; }
      say(result.data.message || "");
    }).catch(function () {
      say("");
    }).then(function () {
      busy = false;
      if (again && !stopped) { again = false; send(); }
    });
  }

  form.addEventListener("input", function (event) {
    if (!event.target || event.target.tagName !== "TEXTAREA") { return; }
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(send, 2000);
  });
}());
