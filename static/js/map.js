// Enhancement only: each figure.area-map already holds an SVG of the area and its points
// (links to the proposals), and the pages list the places in words. With Leaflet loaded,
// the SVG gives way to a map that zooms: tiles when the page names a tile server,
// otherwise the same outline and markers on a plain background.
(function () {
  "use strict";
  if (typeof L === "undefined" || !window.AreaMaps) { return; }
  var maps = window.AreaMaps;

  function marker(point) {
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.title;
    return L.marker([point.lat, point.lon], { title: point.title, alt: point.title, keyboard: true })
      .bindPopup(link);
  }

  function fit(map, area, points) {
    var bounds = L.latLngBounds([]);
    if (area) { bounds.extend(L.geoJSON(area).getBounds()); }
    points.forEach(function (p) { bounds.extend([p.lat, p.lon]); });
    if (!bounds.isValid()) { return false; }
    if (bounds.getNorthEast().equals(bounds.getSouthWest())) {
      map.setView(bounds.getCenter(), 16);
    } else {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 });
    }
    return true;
  }

  function enhance(figure) {
    var data = JSON.parse(figure.dataset.map || "{}");
    var points = data.markers || [];
    var container = document.createElement("div");
    container.className = "area-map-live";
    figure.insertBefore(container, figure.firstChild);
    var map = maps.baseMap(container, figure.dataset);
    maps.outline(map, data.area);
    if (!fit(map, data.area, points)) { container.remove(); map.remove(); return; }
    if (figure.dataset.cluster === "true") {
      maps.clusterLayer(map, points, marker, figure.dataset.clusterLabel || "{count}");
    } else {
      points.forEach(function (point) { marker(point).addTo(map); });
    }
    figure.querySelector(".area-map-drawing").hidden = true;
    figure.classList.add("area-map-enhanced");
  }

  Array.prototype.forEach.call(document.querySelectorAll("figure.area-map[data-map]"), enhance);
}());
