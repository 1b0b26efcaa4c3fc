/* MIAM territory map: django-leaflet makes the map (tiles, attribution and zoom range from
   LEAFLET_CONFIG, the territory's default view), this script adds marker clustering, one layer
   per kind, fed by one JSON request. Tiles may fail (no internet, blocked server): the markers,
   the outline and the table below still work. When the markers are on the map,
   window.miamMapReady is true and the map element gets data-ready="true" and
   data-markers="<count>" (used by tests and the benchmark). */
(function () {
  "use strict";
  var el = document.getElementById("miam-map");
  if (!el) {
    return;
  }
  var status = document.getElementById("miam-map-status");
  var label = function (name) { return el.getAttribute("data-label-" + name) || name; };
  var LAYERS = [
    { code: "farms", css: "miam-farm" },
    { code: "structures", css: "miam-structure" },
    { code: "offers", css: "miam-offer" },
    { code: "needs", css: "miam-need" },
    { code: "hubs", css: "miam-hub" },
    { code: "vehicles", css: "miam-vehicle" },
    { code: "initiatives", css: "miam-initiative" }
  ];
  var timings = (window.miamMapTimings = { script: performance.now() });
  // Leaflet's own control titles are English: give them the page's words before the map is made.
  if (typeof L !== "undefined" && el.getAttribute("data-label-zoom-in")) {
    L.Control.Zoom.mergeOptions({ zoomInTitle: label("zoom-in"), zoomOutTitle: label("zoom-out") });
  }
  var map = null;

  function fetchData(src) {
    // Same URL, mode and credentials as the page's <link rel="preload">: the answer is reused.
    return fetch(src, { credentials: "same-origin", mode: "cors" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }
  var request = fetchData(el.getAttribute("data-src"));

  function failed(err) {
    el.setAttribute("data-error", String(err));
    if (status) { status.textContent = label("failed"); }
  }

  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function quantity(value, unit, labels) {
    var text = (Math.round(value * 1000) / 1000).toLocaleString(document.documentElement.lang || "fr");
    return text + " " + ((labels.units && labels.units[unit]) || unit);
  }

  function popup(props, url, labels) {
    var html = "<strong>" + escapeHtml(props.name) + "</strong>";
    if (props.category) { html += "<br>" + escapeHtml(props.category); }
    if (props.quantity !== undefined) { html += "<br>" + escapeHtml(quantity(props.quantity, props.unit, labels)); }
    if (props.pricing) { html += " · " + escapeHtml((labels.pricing && labels.pricing[props.pricing]) || props.pricing); }
    if (props.until) { html += "<br>" + escapeHtml(label("until")) + " " + escapeHtml(props.until); }
    if (props.by) { html += "<br>" + escapeHtml(props.by); }
    if (props.commune) { html += "<br>" + escapeHtml(props.commune); }
    if (url) { html += '<br><a href="' + escapeHtml(url) + '">' + escapeHtml(label("see")) + "</a>"; }
    return html;
  }

  function icon(css) {
    return L.divIcon({ className: "miam-pin " + css, iconSize: [14, 14] });
  }

  function ready(total, counts) {
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

  function build(data) {
    timings.data = performance.now();
    var control = L.control.layers(null, null, { collapsed: window.innerWidth < 600 }).addTo(map);
    var toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (toggle) { toggle.title = label("layers"); toggle.setAttribute("aria-label", label("layers")); }
    var bounds = L.latLngBounds([]);
    var labels = data.labels || {};
    var total = 0;
    var counts = {};
    var pending = 0;
    if (data.outline) {
      var outline = L.geoJSON(data.outline, {
        style: { color: "#000091", weight: 2, fill: true, fillOpacity: 0.04 },
        interactive: false
      }).addTo(map);
      control.addOverlay(outline, label("outline"));
      bounds.extend(outline.getBounds());
    }
    var groups = [];
    LAYERS.forEach(function (spec) {
      var layer = data.layers && data.layers[spec.code];
      if (!layer) { return; }
      var columns = layer.columns;
      var template = (data.urls && data.urls[spec.code]) || "";
      var markers = [];
      var ic = icon(spec.css);
      layer.rows.forEach(function (row) {
        var marker = L.marker([row[0], row[1]], { icon: ic, title: String(row[3]), keyboard: false });
        marker.bindPopup(function () {
          var props = {};
          for (var i = 2; i < columns.length; i++) { props[columns[i]] = row[i]; }
          var url = template ? template.replace("{id}", encodeURIComponent(props.id)) : "";
          return popup(props, url, labels);
        });
        markers.push(marker);
        bounds.extend([row[0], row[1]]);
      });
      counts[spec.code] = markers.length;
      total += markers.length;
      groups.push({ spec: spec, markers: markers });
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 });
    }
    timings.markers = performance.now();
    pending = groups.length;
    if (!pending) { ready(0, counts); return; }
    groups.forEach(function (item) {
      var done = false;
      var finish = function () {
        if (done) { return; }
        done = true;
        pending -= 1;
        if (pending === 0) { ready(total, counts); }
      };
      // Clustering is done in chunks so that the page stays responsive; the map is ready
      // when every group has placed all its markers.
      var group = L.markerClusterGroup({
        chunkedLoading: true,
        showCoverageOnHover: false,
        maxClusterRadius: 50,
        chunkInterval: 150,
        chunkDelay: 10,
        chunkProgress: function (processed, count) { if (processed >= count) { finish(); } }
      });
      group.addTo(map);
      group.addLayers(item.markers);
      if (!item.markers.length) { finish(); }
      control.addOverlay(group, '<span class="miam-legend-dot ' + item.spec.css + '"></span>' + escapeHtml(label(item.spec.code)) + " (" + item.markers.length + ")");
    });
  }

  function watchTiles() {
    map.eachLayer(function (layer) {
      if (layer instanceof L.TileLayer) {
        layer.on("tileerror", function () { el.setAttribute("data-tiles-failed", "true"); });
      }
    });
  }

  window.addEventListener("map:init", function (event) {
    if (!event.detail || event.detail.id !== "miam-map") { return; }
    map = event.detail.map;
    timings.map = performance.now();
    watchTiles();
    request.then(build).catch(failed);
  });
  // Leaflet itself could not load (blocked script): the list below stays.
  window.addEventListener("load", function () {
    if (!map) { failed(typeof L === "undefined" ? "leaflet-missing" : "map-missing"); }
  });
})();
