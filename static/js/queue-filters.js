// The queue's filters apply as soon as one changes; without JavaScript the
// form's Apply button does the same. The search box waits for Enter: a
// half-typed name would otherwise be sent on every change.
(function () {
  "use strict";
  var form = document.querySelector("form[data-apply-on-change]");
  if (!form) return;
  form.addEventListener("change", function (event) {
    if (event.target.type === "search") return;
    form.requestSubmit();
  });
})();
