// Enhancement only: the proposal form takes a point as typed latitude and longitude. With
// Leaflet loaded, a map writes those inputs: a click on the map or dragging the marker
// sets the point, choosing a named place (whose proposals tell where it is) moves it
// there, and two buttons put it in the map's middle (for keyboard users) or remove it.
// Typing in the inputs moves the marker; the server validates whatever is sent.
(function () {
  "use strict";
  var picker = document.getElementById("place-picker");
  if (!picker || typeof L === "undefined" || !window.AreaMaps) { return; }
  var maps = window.AreaMaps;
  var latInput = document.getElementById("place_lat");
  var lonInput = document.getElementById("place_lon");
  var placeSelect = document.getElementById("place_name");
  var status = picker.querySelector(".map-picker-status");
  var data = JSON.parse(picker.dataset.picker || "{}");
  var places = data.places || {};

  picker.hidden = false;
  var map = maps.baseMap(picker.querySelector(".map-picker-map"), picker.dataset);
  map.getContainer().setAttribute("aria-describedby", "place-picker-hint");
  var area = maps.outline(map, data.area);
  var marker = null;

  function startView() {
    var known = Object.keys(places).map(function (name) { return places[name]; });
    if (area) { map.fitBounds(area.getBounds(), { padding: [16, 16] }); return; }
    if (data.centre) { map.setView(data.centre, 15); return; }
    if (known.length) { map.fitBounds(L.latLngBounds(known).pad(0.5), { maxZoom: 16 }); return; }
    map.setView([62, 16], 4);  // Sweden, when a tile server is all there is
  }

  // The named places with a known position, as small labelled circles to find one's way
  // on a plain background; choosing one sets the point there too.
  function drawPlaces() {
    Object.keys(places).forEach(function (name) {
      L.circleMarker(places[name], { radius: 6, color: "#4a4a4a", weight: 2, fillOpacity: 0.6 })
        // A text node: a string would be read as HTML, and place names are typed by people.
        .bindTooltip(document.createTextNode(name))
        .on("click", function () { choosePlace(name); })
        .addTo(map);
    });
  }

  function rounded(value) { return String(Math.round(value * 1e6) / 1e6); }

  function say(text) { status.textContent = text; }

  function showMarker(latlng) {
    if (marker) { marker.setLatLng(latlng); return; }
    var title = picker.dataset.markerTitle || "";
    marker = L.marker(latlng, { draggable: true, keyboard: true, title: title, alt: title }).addTo(map);
    marker.on("dragend", function () { setPoint(marker.getLatLng()); });
  }

  // The point chosen on the map: written to the inputs and said in words.
  function setPoint(latlng) {
    var lat = rounded(latlng.lat), lon = rounded(L.latLng(latlng).wrap().lng);
    latInput.value = lat;
    lonInput.value = lon;
    showMarker([Number(lat), Number(lon)]);
    var message = (picker.dataset.statusSet || "").replace("{lat}", lat).replace("{lon}", lon);
    if (!maps.inArea(data.area, Number(lat), Number(lon))) {
      message += " " + (picker.dataset.statusOutside || "");
    }
    say(message);
  }

  function removePoint() {
    latInput.value = "";
    lonInput.value = "";
    if (marker) { map.removeLayer(marker); marker = null; }
    say(picker.dataset.statusRemoved || "");
  }

  function choosePlace(name) {
    if (placeSelect && placeSelect.value !== name) { placeSelect.value = name; }
    if (places[name]) {
      setPoint(L.latLng(places[name]));
      map.panTo(places[name]);
    }
  }

  // Coordinates typed by hand move the marker once both are numbers in range.
  function followInputs() {
    var lat = Number(latInput.value), lon = Number(lonInput.value);
    if (latInput.value.trim() === "" || lonInput.value.trim() === "") { return; }
    if (isNaN(lat) || isNaN(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) { return; }
    showMarker([lat, lon]);
    map.panTo([lat, lon]);
  }

  startView();
  drawPlaces();
  followInputs();
  map.on("click", function (event) { setPoint(event.latlng); });
  latInput.addEventListener("change", followInputs);
  lonInput.addEventListener("change", followInputs);
  if (placeSelect) {
    placeSelect.addEventListener("change", function () {
      if (places[placeSelect.value]) { choosePlace(placeSelect.value); }
    });
  }
  picker.querySelector("[data-picker-action=centre]").addEventListener("click", function () {
    setPoint(map.getCenter());
  });
  picker.querySelector("[data-picker-action=remove]").addEventListener("click", removePoint);
}());
