// The card form's live preview: while an admin types, the form is posted (with its CSRF token) to the
// preview endpoint a moment after the last key, and the answer, the preview's HTML drawn by the
// server, replaces the preview. Without this file the "Preview" button does the same by reloading.
"use strict";
(function () {
  var form = document.querySelector("form[data-preview]");
  var target = document.getElementById("preview-body");
  if (!form || !target || !window.fetch) { return; }
  var timer = null;
  var sent = 0;
  function refresh() {
    var number = ++sent;
    fetch(form.getAttribute("data-preview"), { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (html !== null && number === sent) { target.innerHTML = html; }  // only the newest answer counts
      })
      .catch(function () { /* the Preview button still works */ });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
