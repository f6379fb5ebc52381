// The trip page's map: its stops (numbered, green pickups, red drop-offs) joined in order, and the driver's last
// position when the trip moves. Tiles from settings MAP_TILES_URL; without them, like the dispatch screen, a plain
// background with a kilometre grid. Data comes from the page's json_script; no inline script (CSP).
(function () {
  "use strict";
  const GRID_KM = [1, 2, 5, 10, 20, 50, 100];

  function start() {
    const node = document.getElementById("trip-map");
    const source = document.getElementById("trip-map-data");
    if (!node || !source) return;
    const data = JSON.parse(source.textContent);
    const L = window.L;
    if (!L) {
      const note = document.createElement("p");
      note.className = "map-missing";
      note.textContent = "The map's library did not load; the stops are listed beside it.";
      node.replaceChildren(note);
      node.dataset.state = "missing";
      return;
    }
    const map = L.map(node, { maxZoom: data.max_zoom || 19, zoomSnap: 0.5, scrollWheelZoom: false });
    const points = data.stops.map((s) => [s.lat, s.lng]);
    if (data.driver) points.push([data.driver.lat, data.driver.lng]);
    if (points.length) map.fitBounds(L.latLngBounds(points), { padding: [36, 36], maxZoom: 15 });
    else map.setView([52.52, 13.405], 11);

    if (data.tiles_url) {
      node.dataset.tiles = "on";
      const tiles = L.tileLayer(data.tiles_url, { maxZoom: data.max_zoom || 19, attribution: data.attribution || "" });
      tiles.on("tileerror", () => { node.dataset.tiles = "failing"; });
      tiles.addTo(map);
    } else {
      node.dataset.tiles = "off";
      const grid = L.layerGroup().addTo(map);
      const draw = () => {
        grid.clearLayers();
        const b = map.getBounds().pad(0.2);
        const perPixel = map.distance(map.containerPointToLatLng([0, 0]), map.containerPointToLatLng([100, 0])) / 100;
        const km = GRID_KM.find((k) => (k * 1000) / perPixel >= 50);
        if (!km) return;
        const stepLat = km / 111.32;
        const stepLng = stepLat / (Math.cos((b.getCenter().lat * Math.PI) / 180) || 1);
        const style = { className: "km-grid", interactive: false, weight: 1 };
        for (let lat = Math.ceil(b.getSouth() / stepLat) * stepLat; lat < b.getNorth(); lat += stepLat) {
          grid.addLayer(L.polyline([[lat, b.getWest()], [lat, b.getEast()]], style));
        }
        for (let lng = Math.ceil(b.getWest() / stepLng) * stepLng; lng < b.getEast(); lng += stepLng) {
          grid.addLayer(L.polyline([[b.getSouth(), lng], [b.getNorth(), lng]], style));
        }
      };
      map.on("moveend", draw);
      draw();
    }
    L.control.scale({ metric: true, imperial: false }).addTo(map);

    if (data.stops.length > 1) {
      L.polyline(data.stops.map((s) => [s.lat, s.lng]), { className: "route-line", weight: 3, dashArray: "6 6" }).addTo(map);
    }
    for (const s of data.stops) {
      const pin = document.createElement("span");
      pin.className = `stop-pin kind-${s.kind}`;
      pin.textContent = String(s.sequence);
      const icon = L.divIcon({ className: "stop-icon", html: pin, iconSize: [24, 24], iconAnchor: [12, 12] });
      const marker = L.marker([s.lat, s.lng], { icon, title: `${s.sequence}. ${s.label}`, keyboard: true }).addTo(map);
      marker.bindTooltip(document.createTextNode(`${s.sequence}. ${s.label}`));
    }
    if (data.driver) {
      L.circleMarker([data.driver.lat, data.driver.lng], { radius: 7, className: "driver-position" })
        .bindTooltip("Driver's last position").addTo(map);
    }
    node.dataset.state = "drawn";
    node.dataset.stops = String(data.stops.length);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
