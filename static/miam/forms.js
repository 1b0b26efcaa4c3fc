/* Small progressive enhancement of the posting forms: show a block only when it matters.
   Without JavaScript every field stays visible and the server validates everything. */
(function () {
  "use strict";
  function selected(form, name) {
    var out = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : el.value) out.push(el.value);
    });
    return out;
  }
  function refresh(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (block) {
      var values = (block.getAttribute("data-values") || "").split(" ");
      var current = selected(form, block.getAttribute("data-show-when"));
      var show = current.some(function (v) { return values.indexOf(v) !== -1; });
      var hasError = block.querySelector(".fr-error-text, .fr-message--error");
      block.hidden = !show && !hasError;
    });
  }
  document.querySelectorAll("form.miam-listing-form").forEach(function (form) {
    refresh(form);
    form.addEventListener("change", function () { refresh(form); });
  });
})();
