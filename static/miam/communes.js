/* Commune suggestions: an <input data-commune-search="/api/v1/communes/" list="…"> gets the
   communes whose name (or postal code) starts with what is typed, as « Cluny (71) ». The server
   reads the name back, so the page works without this script too. */
(function () {
  "use strict";
  document.querySelectorAll("input[data-commune-search]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-commune-search");
    var timer = null;
    var last = "";
    if (!list) { return; }
    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last || /\(\w{2,3}\)$/.test(q)) { return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        last = q;
        fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (page) {
            var communes = page.results || [];
            list.textContent = "";
            communes.slice(0, 12).forEach(function (c) {
              var option = document.createElement("option");
              option.value = c.name + " (" + c.departement + ")";
              option.label = (c.postal_codes || []).join(", ") + " · " + c.departement_name;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a help, not a need */ });
      }, 200);
    });
  });
})();
