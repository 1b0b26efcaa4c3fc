/* MIAM territory map: Leaflet + marker clustering, one layer per kind, fed by one JSON request.
   Tiles may fail (no internet, blocked server): the markers, the outline and the table below
   still work. When the markers are on the map, window.miamMapReady is true and the map element
   gets data-ready="true" and data-markers="<count>" (used by tests and the benchmark). */
(function () {
  "use strict";
  var el = document.getElementById("miam-map");
  if (!el || typeof L === "undefined") {
    return;
  }
  var status = document.getElementById("miam-map-status");
  var label = function (name) { return el.getAttribute("data-label-" + name) || name; };
  var LAYERS = [
    { code: "farms", css: "miam-farm" },
    { code: "structures", css: "miam-structure" },
    { code: "offers", css: "miam-offer" },
    { code: "needs", css: "miam-need" },
    { code: "initiatives", css: "miam-initiative" }
  ];

  var map = L.map(el, { preferCanvas: true, zoomControl: true }).setView([46.6, 4.7], 9);
  var tilesFailed = false;
  var tiles = L.tileLayer(el.getAttribute("data-tiles"), {
    attribution: el.getAttribute("data-attribution"),
    maxZoom: 18
  });
  tiles.on("tileerror", function () {
    if (!tilesFailed) {
      tilesFailed = true;
      el.setAttribute("data-tiles-failed", "true");
    }
  });
  tiles.addTo(map);

  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function popup(layer, props, url) {
    var html = "<strong>" + escapeHtml(props.name) + "</strong>";
    if (props.category) { html += "<br>" + escapeHtml(props.category); }
    if (props.quantity) { html += "<br>" + escapeHtml(props.quantity); }
    if (props.pricing) { html += " · " + escapeHtml(props.pricing); }
    if (props.until) { html += "<br>" + escapeHtml(label("until")) + " " + escapeHtml(props.until); }
    if (props.by) { html += "<br>" + escapeHtml(props.by); }
    if (props.commune) { html += "<br>" + escapeHtml(props.commune); }
    if (url) { html += '<br><a href="' + escapeHtml(url) + '">' + escapeHtml(label("see")) + "</a>"; }
    return html;
  }

  function icon(css) {
    return L.divIcon({ className: "miam-pin " + css, iconSize: [14, 14] });
  }

  function build(data) {
    var control = L.control.layers(null, null, { collapsed: window.innerWidth < 600 }).addTo(map);
    var bounds = L.latLngBounds([]);
    var total = 0;
    var counts = {};
    if (data.outline) {
      var outline = L.geoJSON(data.outline, {
        style: { color: "#000091", weight: 2, fill: true, fillOpacity: 0.04 },
        interactive: false
      }).addTo(map);
      control.addOverlay(outline, label("outline"));
      bounds.extend(outline.getBounds());
    }
    LAYERS.forEach(function (spec) {
      var collection = data[spec.code];
      if (!collection) { return; }
      var template = (data.urls && data.urls[spec.code]) || "";
      var group = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50 });
      var markers = [];
      var ic = icon(spec.css);
      collection.features.forEach(function (f) {
        var c = f.geometry.coordinates;
        var marker = L.marker([c[1], c[0]], { icon: ic, title: f.properties.name, keyboard: false });
        var url = template ? template.replace("{id}", encodeURIComponent(f.properties.id)) : "";
        marker.bindPopup(function () { return popup(marker, f.properties, url); });
        markers.push(marker);
        bounds.extend([c[1], c[0]]);
      });
      group.addLayers(markers);
      group.addTo(map);
      control.addOverlay(group, '<span class="miam-legend-dot ' + spec.css + '"></span>' + escapeHtml(label(spec.code)) + " (" + markers.length + ")");
      counts[spec.code] = markers.length;
      total += markers.length;
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 });
    }
    el.setAttribute("data-markers", String(total));
    el.setAttribute("data-ready", "true");
    window.miamMapCounts = counts;
    window.miamMarkerCount = total;
    window.miamMapReadyAt = performance.now();
    window.miamMapReady = true;
    if (status) {
      status.textContent = label("ready").replace("%s", String(total));
    }
    el.dispatchEvent(new CustomEvent("miam:map-ready", { bubbles: true, detail: { total: total, counts: counts } }));
  }

  fetch(el.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    })
    .then(build)
    .catch(function (err) {
      el.setAttribute("data-error", String(err));
      if (status) { status.textContent = label("failed"); }
    });
})();
