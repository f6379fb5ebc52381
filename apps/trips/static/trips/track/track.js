// The customer's tracking page (logitrack/brand.js paints the fleet's colour): draws the map (Leaflet from our
// static files; tiles from MAP_TILES_URL, else a plain kilometre grid; without Leaflet a note and the address list) and keeps everything
// current from /ws/track/<token>/. While the socket is down it reads /api/v1/trips/track/<token>/ every 30 s.
// The server renders the page complete, so without this script it still tells the customer where things stand.
// Data comes from json_script blocks and data attributes: no inline script or style (CSP).
(function () {
  "use strict";
  const GRID_KM = [0.5, 1, 2, 5, 10, 20, 50];
  const POLL_MS = 30000;
  const CLOSE_NOT_FOUND = 4404, CLOSE_EXPIRED = 4410;

  const $ = (id) => document.getElementById(id);
  const read = (id) => { const n = $(id); return n ? JSON.parse(n.textContent) : null; };

  const data0 = read("tracking-data");
  if (!data0) return; // an expired or unknown link's page: nothing live
  const words = read("tracking-words") || {};
  const mapConfig = read("map-config") || {};
  const token = document.body.dataset.token;
  let current = data0;

  const linkState = $("link-state");
  let socket = null, retry = 0, pollTimer = null;
  const ended = () => ["completed", "cancelled", "failed"].includes(current.status);

  // ---- the map -----------------------------------------------------------------------------------------------
  let map = null, driverMarker = null, driverArea = null, stopLayer = null, routeLine = null, fitted = "";
  const mapNode = $("map");

  function startMap() {
    const L = window.L;
    if (!L || !window.LogiTrackBasemap) {
      const note = document.createElement("p");
      note.className = "map-missing";
      note.textContent = words["map.missing"] || "";
      mapNode.replaceChildren(note);
      mapNode.dataset.state = "missing";
      return;
    }
    map = L.map(mapNode, { maxZoom: mapConfig.max_zoom || 19, zoomSnap: 0.5, scrollWheelZoom: false, attributionControl: !!mapConfig.tiles_url });
    map.setView([52.52, 13.405], 12);
    window.LogiTrackBasemap.attach(map, mapNode, mapConfig, { gridKm: GRID_KM, minGridPixels: 60 });
    stopLayer = L.layerGroup().addTo(map);
    mapNode.dataset.state = "drawn";
  }

  function drawMap(t) {
    if (!map) return;
    const L = window.L;
    stopLayer.clearLayers();
    const points = t.stops.map((s) => [s.lat, s.lng]);
    if (points.length > 1) {
      routeLine = L.polyline(points, { className: "route-line", weight: 3, dashArray: "6 8", interactive: false });
      stopLayer.addLayer(routeLine);
    }
    for (const s of t.stops) {
      const pin = document.createElement("span");
      pin.className = `stop-pin kind-${s.kind}`;
      pin.textContent = String(s.sequence);
      const icon = L.divIcon({ className: "stop-icon", html: pin, iconSize: [24, 24], iconAnchor: [12, 12] });
      const marker = L.marker([s.lat, s.lng], { icon, title: `${s.label}: ${s.address}`, keyboard: false });
      stopLayer.addLayer(marker);
    }
    const at = t.driver_position;
    if (at) {
      if (!driverMarker) {
        const dot = document.createElement("span");
        dot.className = "driver-dot";
        const icon = L.divIcon({ className: "driver-icon", html: dot, iconSize: [30, 30], iconAnchor: [15, 15] });
        driverArea = L.circle([at.lat, at.lng], { radius: 250, className: "driver-area", interactive: false }).addTo(map);
        driverMarker = L.marker([at.lat, at.lng], { icon, title: t.driver_first_name || "", keyboard: false, zIndexOffset: 1000 }).addTo(map);
      } else {
        driverMarker.setLatLng([at.lat, at.lng]);
        driverArea.setLatLng([at.lat, at.lng]);
      }
      points.push([at.lat, at.lng]);
    } else if (driverMarker) {
      driverMarker.remove(); driverArea.remove(); driverMarker = driverArea = null;
    }
    mapNode.dataset.driver = at ? `${at.lat},${at.lng}` : "";
    // refit when what must be in view changed (a new driver cell, not every redraw)
    const key = points.map((p) => p.join(",")).join(";");
    if (points.length && key !== fitted) {
      fitted = key;
      map.fitBounds(L.latLngBounds(points), { padding: [40, 40], maxZoom: 15, animate: false });
    }
  }

  // ---- the story ---------------------------------------------------------------------------------------------
  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }

  function render(t) {
    current = t;
    document.body.dataset.status = t.status;
    $("status-text").textContent = t.status_text;
    document.title = `${t.status_text} · ${t.fleet.name || "LogiTrack"}`;
    const eta = $("eta");
    eta.textContent = t.eta_text || "";
    eta.hidden = !t.eta_text;

    $("timeline").replaceChildren(...t.timeline.map((s) => {
      const li = el("li", `step state-${s.state} step-${s.step}`);
      li.dataset.step = s.step;
      li.dataset.state = s.state;
      const dot = el("span", "dot");
      dot.setAttribute("aria-hidden", "true");
      li.append(dot, el("span", "label", s.label), el("span", "when", s.at_local || ""));
      return li;
    }));

    const crew = $("crew");
    crew.hidden = !t.driver_first_name && !t.vehicle;
    $("driver-name").textContent = t.driver_first_name || "";
    $("driver-initial").textContent = (t.driver_first_name || "?").slice(0, 1);
    const vehicle = $("vehicle");
    vehicle.replaceChildren();
    if (t.vehicle) {
      vehicle.append(`${t.vehicle.make} ${t.vehicle.model} · ${t.vehicle.type_text}`);
      if (t.vehicle.registration) vehicle.append(" · ", el("span", "plate", t.vehicle.registration));
    }

    $("stops").replaceChildren(...t.stops.map((s) => {
      const li = el("li", `stop kind-${s.kind} status-${s.status}${s.sequence === t.next_stop ? " is-next" : ""}`);
      li.dataset.sequence = String(s.sequence);
      const pin = el("span", "pin", String(s.sequence));
      pin.setAttribute("aria-hidden", "true");
      const text = el("span", "stop-text");
      let state = "";
      if (s.status === "done") state = `✓ ${words["stop.done"] || ""} ${s.finished_local || ""}`.trim();
      else if (s.status === "failed") state = words["stop.failed"] || "";
      text.append(el("span", "stop-label", s.label), el("span", "address", s.address), el("span", "stop-state", state));
      li.append(pin, text);
      return li;
    }));

    const note = $("map-note");
    note.textContent = t.driver_position ? words["map.rough"] : words["map.none"];
    note.hidden = ended();
    drawMap(t);
    if (ended() && socket) socket.close(1000); // nothing more will happen to this trip
  }

  // ---- live: the socket, and polling while it is down ----------------------------------------------------------

  function showLink(state) {
    linkState.hidden = false;
    linkState.dataset.state = state;
    linkState.textContent = state === "live" ? words.live : words.offline;
  }

  async function poll() {
    try {
      const r = await fetch(`/api/v1/trips/track/${encodeURIComponent(token)}/`, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (r.status === 404) { window.location.reload(); return; } // expired meanwhile: the server explains
      if (r.ok) render(await r.json());
    } catch (e) { /* offline: try again at the next tick */ }
  }

  function startPolling() {
    if (!pollTimer) pollTimer = window.setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) { window.clearInterval(pollTimer); pollTimer = null; }
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${window.location.host}/ws/track/${encodeURIComponent(token)}/`);
    socket.addEventListener("open", () => { retry = 0; showLink("live"); stopPolling(); });
    socket.addEventListener("message", (e) => {
      let message;
      try { message = JSON.parse(e.data); } catch (err) { return; }
      if (message.type === "tracking" && message.tracking) {
        if (message.tracking.version < current.version) return; // an older state overtaken by a newer one
        render(message.tracking);
      }
    });
    socket.addEventListener("close", (e) => {
      socket = null;
      if (e.code === CLOSE_EXPIRED || e.code === CLOSE_NOT_FOUND) { window.location.reload(); return; }
      if (ended()) { linkState.hidden = true; stopPolling(); return; } // nothing more will happen
      showLink("offline");
      startPolling();
      retry = Math.min(retry + 1, 6);
      const wait = Math.min(30000, 1000 * 2 ** retry) * (0.5 + Math.random() / 2);
      window.setTimeout(connect, wait);
    });
  }

  // a phone that slept: catch up at once when the page is looked at again
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "resync" }));
    else poll();
  });

  function start() {
    startMap();
    render(current);
    if (ended()) return; // an ended trip's page has nothing live
    if (!("WebSocket" in window)) { startPolling(); return; }
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
