/* The minutes' formatting toolbar: each button writes the Markdown the page renders (bold,
   heading, lists) around the selection, so nobody has to know Markdown. The preview button is
   htmx (the server renders exactly what will be saved). Without JavaScript the toolbar stays
   hidden and the text field works as plain text. */
(function () {
  "use strict";
  document.querySelectorAll("[data-toolbar-for]").forEach(function (toolbar) {
    var area = document.getElementById(toolbar.getAttribute("data-toolbar-for"));
    if (!area) { return; }
    toolbar.hidden = false;

    function replace(start, end, text, selectFrom, selectTo) {
      area.setRangeText(text, start, end, "end");
      area.setSelectionRange(selectFrom, selectTo);
      area.focus();
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    function lineStart(pos) { return area.value.lastIndexOf("\n", pos - 1) + 1; }
    function lineEnd(pos) { var i = area.value.indexOf("\n", pos); return i === -1 ? area.value.length : i; }
    function prefixLines(make) {
      var start = lineStart(area.selectionStart);
      var end = lineEnd(area.selectionEnd);
      var lines = area.value.slice(start, end).split("\n");
      var text = lines.map(function (line, i) { return make(i) + line.replace(/^(#{1,6} |- |\d+\. )/, ""); }).join("\n");
      // The caret goes after the new text, so that typing goes on (a selection would be replaced).
      replace(start, end, text, start + text.length, start + text.length);
    }
    var actions = {
      bold: function () {
        var s = area.selectionStart, e = area.selectionEnd;
        var inner = area.value.slice(s, e) || toolbar.getAttribute("data-placeholder-bold") || "texte";
        replace(s, e, "**" + inner + "**", s + 2, s + 2 + inner.length);
      },
      heading: function () { prefixLines(function () { return "## "; }); },
      list: function () { prefixLines(function () { return "- "; }); },
      numbered: function () { prefixLines(function (i) { return (i + 1) + ". "; }); }
    };
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("[data-md]");
      if (button && actions[button.getAttribute("data-md")]) {
        actions[button.getAttribute("data-md")]();
      }
    });
  });
})();
