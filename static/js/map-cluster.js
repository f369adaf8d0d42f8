// Shared by map.js and map-picker.js: a Leaflet map in a figure, with or without tiles,
// and grid clustering of markers re-computed at every zoom. Enhancement only: the
// server-rendered SVG stays in the page (hidden) and the list of places stays too.
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  // Pixels: markers whose projections fall in one cell of this grid share a cluster.
  var CELL = 64;
  var MAX_ZOOM = 19;

  // The map's base: tiles when the page names a tile server, otherwise a plain
  // background (Leaflet without a tile layer), so the outline and markers still show.
  function baseMap(container, data) {
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var map = L.map(container, {
      scrollWheelZoom: false,
      zoomAnimation: !still,
      fadeAnimation: !still,
      markerZoomAnimation: !still,
      zoomControl: false,
      maxZoom: MAX_ZOOM,
      attributionControl: Boolean(data.tileUrl),
    });
    L.control.zoom({
      zoomInTitle: data.zoomIn || "Zoom in",
      zoomOutTitle: data.zoomOut || "Zoom out",
    }).addTo(map);
    container.setAttribute("role", "region");
    container.setAttribute("aria-label", data.label || "");
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, { attribution: data.attribution || "", maxZoom: MAX_ZOOM }).addTo(map);
    } else {
      container.classList.add("area-map-plain");
    }
    // Leaflet names its popup's close button in English.
    map.on("popupopen", function (event) {
      var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", data.close || "Close"); close.title = data.close || "Close"; }
    });
    return map;
  }

  function outline(map, area) {
    if (!area) { return null; }
    return L.geoJSON(area, {
      interactive: false,
      style: function () { return { color: "#1f5fa8", weight: 3, fillColor: "#1f5fa8", fillOpacity: 0.08 }; },
    }).addTo(map);
  }

  // Is the point inside the area's outline and outside its holes? (Even-odd over rings.)
  function inArea(area, lat, lon) {
    if (!area || !area.coordinates) { return true; }
    var inside = false;
    area.coordinates.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
        var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
        if ((yi > lat) !== (yj > lat) && lon < xi + (lat - yi) * (xj - xi) / (yj - yi)) {
          inside = !inside;
        }
      }
    });
    return inside;
  }

  // Groups of points whose projections at `zoom` share a grid cell; each group has its
  // points and its mean position.
  function groups(map, points, zoom) {
    var cells = {};
    var order = [];
    points.forEach(function (point) {
      var pixel = map.project([point.lat, point.lon], zoom);
      var key = Math.floor(pixel.x / CELL) + ":" + Math.floor(pixel.y / CELL);
      if (!cells[key]) { cells[key] = []; order.push(key); }
      cells[key].push(point);
    });
    return order.map(function (key) {
      var members = cells[key];
      var lat = 0, lon = 0;
      members.forEach(function (p) { lat += p.lat; lon += p.lon; });
      return { points: members, lat: lat / members.length, lon: lon / members.length };
    });
  }

  // A layer of markers that re-clusters at each zoom. `single(point)` makes the marker
  // of one point; a cluster is a keyboard-focusable button showing its count, named by
  // `label` ("{count}" replaced), that zooms in to its points when activated and then
  // puts the focus on the marker or cluster now holding the first of them.
  function clusterLayer(map, points, single, label) {
    var layer = L.layerGroup().addTo(map);
    var focusNext = null;

    function activate(group) {
      focusNext = group.points[0];
      var bounds = L.latLngBounds(group.points.map(function (p) { return [p.lat, p.lon]; }));
      var target = Math.min(map.getBoundsZoom(bounds.pad(0.3)), MAX_ZOOM);
      if (target <= map.getZoom()) { target = Math.min(map.getZoom() + 2, MAX_ZOOM); }
      map.setView(bounds.getCenter(), target);
    }

    function clusterMarker(group) {
      var name = label.replace("{count}", String(group.points.length));
      var marker = L.marker([group.lat, group.lon], {
        icon: L.divIcon({
          className: "map-cluster",
          html: "<span aria-hidden=\"true\">" + group.points.length + "</span>",
          iconSize: [44, 44],
        }),
        title: name,
        keyboard: true,
      });
      marker.on("click", function () { activate(group); });
      marker.on("add", function () {
        var element = marker.getElement();
        element.setAttribute("aria-label", name);
        element.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            activate(group);
          }
        });
      });
      return marker;
    }

    function draw() {
      layer.clearLayers();
      var zoom = map.getZoom();
      var found = null;
      groups(map, points, zoom).forEach(function (group) {
        var marker;
        if (group.points.length === 1 || zoom >= MAX_ZOOM) {
          group.points.forEach(function (point) {
            marker = single(point).addTo(layer);
            if (point === focusNext) { found = marker; }
          });
        } else {
          marker = clusterMarker(group).addTo(layer);
          if (focusNext && group.points.indexOf(focusNext) !== -1) { found = marker; }
        }
      });
      if (found && found.getElement()) { found.getElement().focus(); }
      focusNext = null;
    }

    map.on("zoomend", draw);
    draw();
    return layer;
  }

  window.AreaMaps = {
    baseMap: baseMap,
    outline: outline,
    inArea: inArea,
    groups: groups,
    clusterLayer: clusterLayer,
  };
}());
