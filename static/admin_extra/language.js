/* The admin's language switch: choosing a language submits its form (a plain button stands in without script). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
});
