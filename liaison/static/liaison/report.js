/* Shows the fields the chosen stage calls for and hides the rest. Hidden fields are disabled so they are not sent;
   the server checks everything again and shows any field with an error. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-report-form]");
  var rulesNode = document.getElementById("stage-rules");
  if (!form || !rulesNode) {
    return;
  }
  var rules = JSON.parse(rulesNode.textContent);
  var stage = form.elements.namedItem("stage");

  function wanted(value) {
    return {
      "start": rules.start.indexOf(value) >= 0,
      "production": rules.production.indexOf(value) >= 0,
      "output": rules.production.indexOf(value) >= 0,
      "stage-back": rules.order.indexOf(value) < rules.order.indexOf(rules.project)
    };
  }

  function update() {
    var show = wanted(stage.value);
    var groups = form.querySelectorAll("[data-show]");
    Array.prototype.forEach.call(groups, function (group) {
      var hasError = group.classList.contains("has-error") || group.querySelector(".has-error") !== null;
      var visible = show[group.getAttribute("data-show")] || hasError;
      group.hidden = !visible;
      Array.prototype.forEach.call(group.querySelectorAll("input, select, textarea"), function (input) {
        input.disabled = !visible;
      });
    });
  }

  stage.addEventListener("change", update);
  update();
})();
