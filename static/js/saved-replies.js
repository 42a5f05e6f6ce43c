// Picking a saved question fills in the question box, to be edited before it
// is sent. Without JavaScript the form asks the saved question as it stands.
(function () {
  "use strict";
  document.querySelectorAll("select[data-fills]").forEach(function (select) {
    var box = document.getElementById(select.getAttribute("data-fills"));
    if (!box) return;
    select.addEventListener("change", function () {
      var question = select.selectedOptions[0].getAttribute("data-question");
      if (question) box.value = question;
    });
  });
})();
