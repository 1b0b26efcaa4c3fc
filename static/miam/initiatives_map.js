/* The initiatives on a map: django-leaflet makes the map (LEAFLET_CONFIG), this script adds the
   clustered markers from the page's JSON (json_script). Markers work even when tiles fail (no
   network): the list on the page stays the reference. */
(function () {
  "use strict";
  var el = document.getElementById("initiatives-map");
  if (!el) { return; }
  var status = document.getElementById("initiatives-map-status");
  var label = function (name) { return el.getAttribute("data-label-" + name) || name; };
  var esc = function (t) {
    return String(t == null ? "" : t).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  };
  var made = false;
  if (typeof L !== "undefined") {
    L.Control.Zoom.mergeOptions({ zoomInTitle: label("zoom-in"), zoomOutTitle: label("zoom-out") });
  }

  window.addEventListener("map:init", function (event) {
    if (!event.detail || event.detail.id !== "initiatives-map") { return; }
    made = true;
    var map = event.detail.map;
    try {
      map.eachLayer(function (layer) {
        if (layer instanceof L.TileLayer) {
          layer.on("tileerror", function () { el.setAttribute("data-tiles-failed", "true"); });
        }
      });
      var data = JSON.parse(document.getElementById("initiatives-geojson").textContent);
      var group = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
      var icon = L.divIcon({ className: "miam-pin miam-initiative", iconSize: [14, 14] });
      var bounds = L.latLngBounds([]);
      data.features.forEach(function (f) {
        var c = f.geometry.coordinates, p = f.properties;
        var marker = L.marker([c[1], c[0]], { icon: icon, title: p.name });
        marker.bindPopup("<strong>" + esc(p.name) + "</strong><br>" + esc(p.type) + "<br>" + esc(p.place) +
                         '<br><a href="' + esc(p.url) + '">' + esc(label("see")) + "</a>");
        group.addLayer(marker);
        bounds.extend([c[1], c[0]]);
      });
      map.addLayer(group);
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 10 }); }
      el.setAttribute("data-ready", "true");
      el.setAttribute("data-markers", String(data.features.length));
      if (status) { status.textContent = label("ready").replace("%s", data.features.length); }
    } catch (e) {
      if (status) { status.textContent = label("failed"); }
    }
  });
  window.addEventListener("load", function () {
    if (!made && status) { status.textContent = label("failed"); }
  });
})();
