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
