// The trip page's map: its stops (numbered, green pickups, red drop-offs) joined in order, and the driver's last
// position when the trip moves. Tiles from settings MAP_TILES_URL; without them, like the dispatch screen, a plain
// background with a kilometre grid. Data comes from the page's json_script; no inline script (CSP).
(function () {
  "use strict";
  function start() {
    const node = document.getElementById("trip-map");
    const source = document.getElementById("trip-map-data");
    if (!node || !source) return;
    const data = JSON.parse(source.textContent);
    const L = window.L;
    if (!L || !window.LogiTrackBasemap) {
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

    window.LogiTrackBasemap.attach(map, node, data);

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
