// Search as you type: the result list follows the box without reloading the
// page (the form works without this script).  One request at a time; the
// newest answer wins.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var box = document.getElementById("search-q");
  var target = document.getElementById("search-results");
  if (!form || !box || !target || !window.fetch) { return; }
  var timer = null;
  var asked = 0;
  function ask() {
    var params = new URLSearchParams(new FormData(form));
    params.set("teil", "1");
    var mine = ++asked;
    fetch(form.action + "?" + params.toString(), { headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && mine === asked) { target.innerHTML = html; }
      })
      .catch(function () { /* the button still works */ });
  }
  box.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 250);
  });
})();
