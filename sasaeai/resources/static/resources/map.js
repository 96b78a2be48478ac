/* The resource map: Leaflet from the app's own static files, tiles from the tenant's server
   or none at all. Places come from the page's JSON (json_script), so the list and the map
   always show the same results with the same numbers. */
(function () {
  "use strict";

  function text(tag, content, className) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (className) { node.className = className; }
    return node;
  }

  function popupFor(place) {
    var box = document.createElement("div");
    var title = place.n + ". " + place.name;
    if (place.url) {
      var link = text("a", title);
      link.href = place.url;
      box.appendChild(link);
    } else {
      box.appendChild(text("strong", title));
    }
    if (place.category) { box.appendChild(text("div", place.category, "popup-category")); }
    if (place.address) { box.appendChild(text("div", place.address)); }
    return box;
  }

  function selectInList(number) {
    var items = document.querySelectorAll(".place-item.selected");
    items.forEach(function (item) { item.classList.remove("selected"); });
    var item = document.getElementById("place-" + number);
    if (item) {
      item.classList.add("selected");
      item.scrollIntoView({block: "nearest"});
    }
  }

  function init() {
    var dataNode = document.getElementById("map-data");
    var mapNode = document.getElementById("resource-map");
    if (!dataNode || !mapNode || !window.L) { return; }
    var data = JSON.parse(dataNode.textContent);
    var config = data.config;
    var map = L.map(mapNode, {scrollWheelZoom: false, maxZoom: config.max_zoom || 18}).setView([config.lat, config.lon], config.zoom);
    var boundaries = L.geoJSON(data.boundaries, {
      style: {color: "#5f5a50", weight: 2, fillColor: "#f4f1ea", fillOpacity: 0.7},
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(feature.properties.name, {permanent: false});
      }
    });
    var note = document.getElementById("map-offline-note");
    var tiles = null;

    function offline() {
      if (tiles) { map.removeLayer(tiles); tiles = null; }
      mapNode.classList.add("offline");
      mapNode.dataset.mode = "offline";
      boundaries.addTo(map);
      boundaries.bringToBack();
      if (note) { note.hidden = false; }
    }

    if (config.tiles) {
      var failures = 0;
      // Leaflet renders attribution as HTML; the tenant's text is shown as text only.
      var attribution = (config.attribution || "").replace(/[<>&"]/g, "");
      tiles = L.tileLayer(config.tiles, {maxZoom: config.max_zoom, attribution: attribution});
      tiles.on("tileerror", function () {
        failures += 1;
        if (failures === 3) { offline(); }  // a closed network: fall back, keep working
      });
      tiles.addTo(map);
      mapNode.dataset.mode = "tiles";
    } else {
      offline();
    }

    var cluster = L.markerClusterGroup({maxClusterRadius: 40, showCoverageOnHover: false});
    var markers = {};
    var bounds = [];
    data.places.forEach(function (place) {
      var icon = L.divIcon({className: "place-marker", html: "<span>" + Number(place.n) + "</span>",
                            iconSize: [28, 28], iconAnchor: [14, 14]});
      var marker = L.marker([place.lat, place.lon], {icon: icon, title: place.n + ". " + place.name,
                                                     alt: place.name, keyboard: true});
      marker.bindPopup(popupFor(place));
      marker.on("add", function () {
        var element = marker.getElement();
        if (element) {
          element.style.backgroundColor = place.colour;  // CSSOM, allowed by the CSP
          element.dataset.number = place.n;
        }
      });
      marker.on("click", function () { selectInList(place.n); });
      cluster.addLayer(marker);
      markers[place.n] = marker;
      bounds.push([place.lat, place.lon]);
    });
    cluster.addTo(map);
    if (data.origin) {
      L.circleMarker(data.origin, {radius: 9, color: "#0b57d0", weight: 3, fillOpacity: 0.3})
        .bindTooltip(data.origin_label || "")
        .addTo(map);
      bounds.push(data.origin);
    }
    if (bounds.length > 1) {
      map.fitBounds(bounds, {padding: [30, 30], maxZoom: 16});
    } else if (bounds.length === 1) {
      map.setView(bounds[0], 16);
    }
    mapNode.dataset.markers = String(data.places.length);

    document.querySelectorAll(".show-on-map").forEach(function (button) {
      button.addEventListener("click", function () {
        var marker = markers[button.dataset.number];
        if (!marker) { return; }
        mapNode.scrollIntoView({block: "nearest"});
        cluster.zoomToShowLayer(marker, function () { marker.openPopup(); });
        selectInList(button.dataset.number);
      });
    });
  }

  function positionButton() {
    var button = document.getElementById("use-position");
    var form = document.getElementById("place-search");
    if (!button || !form || !navigator.geolocation) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        form.querySelector("[name=lat]").value = position.coords.latitude.toFixed(6);
        form.querySelector("[name=lon]").value = position.coords.longitude.toFixed(6);
        form.querySelector("[name=near]").value = "";
        form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    init();
    positionButton();
  });
}());
