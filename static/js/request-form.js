// Progressive enhancement only: the form works without this file.
// It stops a second click from sending the form twice while photos upload
// (the server also recognises a repeated submission) and says so. A Send the
// photo widget holds back until its uploads finish is not a send yet.
document.querySelectorAll("form[data-once]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    var button = form.querySelector("button[type=submit]");
    if (event.defaultPrevented) { return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = button.dataset.sendingText || button.textContent;
    }, 0);
  });
});
var summary = document.getElementById("error-summary");
if (summary) { summary.focus(); }

// The language switch (a POST that reloads this page in the other language)
// would lose what was typed: the answers (never photos, never hidden fields)
// are kept in this tab's sessionStorage on the way out and put back once.
(function () {
  var switcher = document.querySelector("form.language-switch");
  var form = document.querySelector("form[data-once]");
  if (!switcher || !form || !window.sessionStorage || !window.JSON) { return; }
  var key = "portal.typed:" + window.location.pathname;
  var SKIP = ["file", "hidden", "submit", "button", "password"];

  function answers() {
    return Array.prototype.filter.call(form.elements, function (field) {
      // "website" is the honeypot: never carried over.
      return field.name && field.name !== "website" && SKIP.indexOf(field.type) === -1;
    });
  }

  switcher.addEventListener("submit", function () {
    var typed = answers().filter(function (field) {
      return field.type === "checkbox" || field.type === "radio" ? field.checked : field.value;
    }).map(function (field) { return [field.name, field.value]; });
    try { window.sessionStorage.setItem(key, JSON.stringify(typed)); } catch (e) { /* full or off */ }
  });

  var kept = null;
  try {
    kept = JSON.parse(window.sessionStorage.getItem(key) || "null");
    window.sessionStorage.removeItem(key);
  } catch (e) { kept = null; }
  if (!kept) { return; }
  var fields = answers();
  kept.forEach(function (pair) {
    fields.forEach(function (field) {
      if (field.name !== pair[0]) { return; }
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.value === pair[1]) { field.checked = true; }
      } else {
        field.value = pair[1];
      }
    });
  });
})();
