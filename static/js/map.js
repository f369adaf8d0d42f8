// Enhancement only: the page lists every place without JavaScript or tiles.
(function () {
  "use strict";
  var element = document.getElementById("proposal-map");
  if (!element || typeof L === "undefined") { return; }
  var points = JSON.parse(element.dataset.points || "[]");
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.attribution || "" }).addTo(map);
  var bounds = [];
  points.forEach(function (point) {
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.title;
    L.marker([point.lat, point.lon], { title: point.title, alt: point.title })
      .addTo(map).bindPopup(link);
    bounds.push([point.lat, point.lon]);
  });
  if (bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 }); }
}());
