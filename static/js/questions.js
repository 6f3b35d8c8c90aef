// Dependent questions on the RSVP form: shown only while the answer they depend on is
// given. Without this script every question shows, with a line saying when to answer it;
// the server applies the same rule either way.
(function () {
  "use strict";
  var dependents = document.querySelectorAll("[data-depends-on]");
  if (!dependents.length) return;
  var form = dependents[0].closest("form");

  function chosen(name) {
    var values = [];
    form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      if (input.value) values.push(input.value);
    });
    return values;
  }

  function update() {
    dependents.forEach(function (field) {
      var parent = document.getElementById(field.dataset.dependsOn + "-field");
      var visible = (!parent || !parent.hidden) &&
        chosen(field.dataset.dependsOn).indexOf(field.dataset.dependsValue) !== -1;
      field.hidden = !visible;
    });
  }

  dependents.forEach(function (field) {
    var condition = field.querySelector(".condition");
    if (condition) condition.hidden = true;
  });
  form.addEventListener("change", update);
  update();
})();
