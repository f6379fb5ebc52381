// The ground every LogiTrack map outside the dispatch screen draws on: the configured XYZ tiles (settings
// MAP_TILES_URL), or without a tile source a plain background with a kilometre grid, and a metric scale.
// node.dataset.tiles says which ("on", "failing" after a tile error, "off"): styles and tests read it.
// A classic script (no module): pages load it after Leaflet and before their own map script.
(function () {
  "use strict";

  // grid spacings a map may pick from, and the smallest on-screen gap between lines it accepts
  const DEFAULTS = { gridKm: [1, 2, 5, 10, 20, 50, 100], minGridPixels: 50 };

  function drawGrid(L, map, options) {
    const grid = L.layerGroup().addTo(map);
    const draw = () => {
      grid.clearLayers();
      const b = map.getBounds().pad(0.2);
      const perPixel = map.distance(map.containerPointToLatLng([0, 0]), map.containerPointToLatLng([100, 0])) / 100;
      const km = options.gridKm.find((k) => (k * 1000) / perPixel >= options.minGridPixels);
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

  // config: { tiles_url, attribution, max_zoom } as the pages' json_script carries them
  function attach(map, node, config, options) {
    const L = window.L;
    const settings = Object.assign({}, DEFAULTS, options || {});
    if (config.tiles_url) {
      node.dataset.tiles = "on";
      const tiles = L.tileLayer(config.tiles_url, { maxZoom: config.max_zoom || 19, attribution: config.attribution || "" });
      tiles.on("tileerror", () => { node.dataset.tiles = "failing"; });
      tiles.addTo(map);
    } else {
      node.dataset.tiles = "off";
      drawGrid(L, map, settings);
    }
    L.control.scale({ metric: true, imperial: false }).addTo(map);
  }

  window.LogiTrackBasemap = { attach };
})();
