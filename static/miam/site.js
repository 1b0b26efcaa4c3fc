/* Small behaviours of every page, driven by data attributes (no inline handlers, so that a
   Content-Security-Policy without 'unsafe-inline' keeps them working):
   - <form data-confirm="Question ?">: asks before sending (a destructive action on one tap);
   - <input data-select-on-focus>: selects its text (addresses to copy);
   - <button data-print>: prints the page;
   - <input type="checkbox" data-select-all="NAME">: checks or unchecks every checkbox named NAME
     in the same form, and follows them (checked when all are, mixed when some are);
   - a DSFR table wider than the screen scrolls sideways: its scrolling box becomes focusable
     (keyboard users can scroll it too) and is named after the table's caption. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest && target.closest("[data-print]")) {
      window.print();
    }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-select-on-focus")) {
      event.target.select();
    }
  });

  function boxes(master) {
    var scope = master.form || document;
    return Array.prototype.filter.call(
      scope.querySelectorAll('input[type="checkbox"][name="' + master.getAttribute("data-select-all") + '"]'),
      function (box) { return !box.disabled; }
    );
  }
  function follow(master) {
    var all = boxes(master);
    var checked = all.filter(function (box) { return box.checked; }).length;
    master.checked = all.length > 0 && checked === all.length;
    master.indeterminate = checked > 0 && checked < all.length;
  }
  document.querySelectorAll("[data-select-all]").forEach(function (master) {
    master.hidden = false;
    var wrapper = master.closest("[data-select-all-group]");
    if (wrapper) { wrapper.hidden = false; }
    master.addEventListener("change", function () {
      boxes(master).forEach(function (box) { box.checked = master.checked; });
    });
    (master.form || document).addEventListener("change", function (event) {
      if (event.target !== master && event.target.name === master.getAttribute("data-select-all")) {
        follow(master);
      }
    });
    follow(master);
  });

  function keyboardScrollableTables() {
    document.querySelectorAll(".fr-table *").forEach(function (box) {
      var style = getComputedStyle(box);
      var scrolls = /(auto|scroll)/.test(style.overflowX) && box.scrollWidth > box.clientWidth + 1;
      if (!scrolls || box.hasAttribute("tabindex")) { return; }
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      var caption = box.querySelector("caption");
      box.setAttribute("aria-label", (caption && caption.textContent.trim()) || document.title);
    });
  }
  window.addEventListener("load", keyboardScrollableTables);
  window.addEventListener("resize", keyboardScrollableTables);
})();
