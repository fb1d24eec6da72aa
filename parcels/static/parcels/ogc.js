/*
 * The HTML pages of the OGC API (/ogc/...?f=html): a small map of the page's features.
 *
 * The features are the page's own GeoJSON, embedded with json_script as "ogc-features"
 * (longitude/latitude): the map asks the server for nothing more. django-leaflet calls
 * window.ogcMapInit(map) once the page has loaded.
 */
(function () {
  "use strict";

  const STYLE = { color: "#1f3b57", weight: 1.5, fillColor: "#a9c8ec", fillOpacity: 0.45 };
  const HOVER = { color: "#c2185b", weight: 3 };

  window.ogcMapInit = function (map) {
    const source = document.getElementById("ogc-features");
    if (!source) return;
    const data = JSON.parse(source.textContent);
    if (data.label) map.getContainer().setAttribute("aria-label", data.label);
    const drawn = L.geoJSON(data.features, {
      style: () => STYLE,
      onEachFeature: (feature, layer) => {
        layer.bindTooltip(String(feature.id), { sticky: true });
        layer.on("mouseover", () => layer.setStyle(HOVER));
        layer.on("mouseout", () => layer.setStyle(STYLE));
        // On a page of features, a feature opens its own page.
        if (data.itemUrl) {
          layer.on("click", () => {
            window.location.href = data.itemUrl + encodeURIComponent(feature.id) + "?f=html";
          });
        }
      },
    }).addTo(map);
    // Fit in quarter steps: at whole zoom levels a page of parcels may fill half the map.
    map.options.zoomSnap = 0.25;
    const bounds = drawn.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 19, animate: false });
  };
})();
