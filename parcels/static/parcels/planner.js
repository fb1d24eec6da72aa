/* The planner's pages: draw the export area on the map, fit the form to the chosen
 * layer, and follow background jobs. Leaflet is served by django-leaflet (no CDN);
 * the rectangle is drawn with Leaflet's own mouse events, so no drawing plugin is needed.
 * django-leaflet calls window.plannerMapInit(map) once the page has loaded. */
(function () {
  "use strict";

  const gettext = window.gettext || ((text) => text);

  function readConfig() {
    const element = document.getElementById("landinfo-config");
    return element ? JSON.parse(element.textContent) : null;
  }

  /* --- The export form --------------------------------------------------------------- */

  function setUpForm() {
    const form = document.getElementById("planner-form");
    if (!form) return;
    const srs = form.querySelector("#id_srs");
    const srsOther = form.querySelector("#srs-other-field");
    const syncSrs = () => {
      srsOther.hidden = srs.value !== "other";
      srsOther.querySelector("input").required = srs.value === "other";
    };
    srs.addEventListener("change", syncSrs);
    syncSrs();
    // A format defined in one CRS (KML: WGS84) takes that CRS.
    const format = form.querySelector("#id_format");
    format.addEventListener("change", () => {
      const only = format.selectedOptions[0] && format.selectedOptions[0].dataset.onlySrid;
      if (only && [...srs.options].some((option) => option.value === only)) {
        srs.value = only;
        syncSrs();
      }
    });

    // The changes layer takes a period; the others a day. Filters a layer lacks are
    // disabled (a disabled field is not submitted).
    const syncLayer = () => {
      const chosen = form.querySelector("input[name=layer]:checked");
      if (!chosen) return;
      const period = chosen.dataset.needsPeriod === "1";
      const filters = (chosen.dataset.filters || "").split(",");
      for (const field of form.querySelectorAll("[data-when]")) {
        const shown = (field.dataset.when === "period") === period;
        field.hidden = !shown;
        for (const input of field.querySelectorAll("input")) {
          input.disabled = !shown;
          input.required = shown && period;
        }
      }
      for (const field of form.querySelectorAll("[data-filter]")) {
        const usable = filters.includes(field.dataset.filter);
        field.classList.toggle("is-disabled", !usable);
        for (const select of field.querySelectorAll("select")) select.disabled = !usable;
      }
    };
    for (const radio of form.querySelectorAll("input[name=layer]")) {
      radio.addEventListener("change", syncLayer);
    }
    syncLayer();
  }

  /* --- The map and the rectangle ----------------------------------------------------- */

  const round = (value) => Math.round(value * 1e6) / 1e6;

  function parseBbox(text) {
    const parts = (text || "").split(",").map((part) => Number(part.trim()));
    if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) return null;
    const [west, south, east, north] = parts;
    if (!(west < east && south < north)) return null;
    return L.latLngBounds([south, west], [north, east]);
  }

  window.plannerMapInit = function (map) {
    const config = readConfig();
    const input = document.getElementById("id_bbox");
    const drawButton = document.getElementById("draw-area");
    const clearButton = document.getElementById("clear-area");
    const container = map.getContainer();
    if (config) {
      // Communes fill the view at z14; parcels show from their own tile zoom.
      // Not animated: an animation still running would undo a view set right after it.
      map.setView(config.view.center, Math.max(config.view.minZoom, config.view.zoom - 2), {
        animate: false,
      });
      if (L.VectorGrid && config.urls && config.urls.tiles) {
        const line = (color, weight) => ({ color: color, weight: weight, fill: false });
        L.vectorGrid
          .protobuf(config.urls.tiles, {
            rendererFactory: L.canvas.tile,
            interactive: false,
            vectorTileLayerStyles: {
              admin_units: line("#1f3b57", 1.5),
              zoning: line("#8e6bb8", 1),
              parcels: { color: "#6b7c8c", weight: 0.6, fillColor: "#dfe6ec", fillOpacity: 0.5, fill: true },
            },
            maxNativeZoom: config.tiles.maxZoom,
            fetchOptions: { credentials: "same-origin" },
            attribution: gettext("Parcels: LandInfo register"),
          })
          .addTo(map);
      }
    }

    let rectangle = null;
    let start = null;
    let drawing = false;

    function show(bounds, fit) {
      if (rectangle) rectangle.setBounds(bounds);
      else rectangle = L.rectangle(bounds, { color: "#c2185b", weight: 2, fillOpacity: 0.12, interactive: false }).addTo(map);
      clearButton.hidden = false;
      if (fit) map.fitBounds(bounds, { padding: [20, 20] });
    }

    function write(bounds) {
      input.value = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map(round).join(",");
    }

    function setDrawing(on) {
      drawing = on;
      drawButton.setAttribute("aria-pressed", on ? "true" : "false");
      container.classList.toggle("is-drawing", on);
      // Dragging would pan the map instead of drawing.
      if (on) map.dragging.disable();
      else map.dragging.enable();
    }

    drawButton.addEventListener("click", () => setDrawing(!drawing));
    clearButton.addEventListener("click", () => {
      if (rectangle) map.removeLayer(rectangle);
      rectangle = null;
      input.value = "";
      clearButton.hidden = true;
    });
    map.on("mousedown", (event) => {
      if (!drawing) return;
      start = event.latlng;
      L.DomUtil.disableTextSelection(); // a drag across the page would select its text
      show(L.latLngBounds(start, start), false);
    });
    map.on("mousemove", (event) => {
      if (drawing && start) show(L.latLngBounds(start, event.latlng), false);
    });
    const finish = (event) => {
      if (!drawing || !start) return;
      const bounds = L.latLngBounds(start, event.latlng);
      start = null;
      L.DomUtil.enableTextSelection();
      setDrawing(false);
      if (bounds.getWest() === bounds.getEast() || bounds.getSouth() === bounds.getNorth()) {
        clearButton.click(); // a click, not a drag: no area
        return;
      }
      show(bounds, false);
      write(bounds);
    };
    map.on("mouseup", finish);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && drawing) {
        start = null;
        setDrawing(false);
      }
    });
    input.addEventListener("change", () => {
      const bounds = parseBbox(input.value);
      if (bounds) show(bounds, true);
    });
    const initial = parseBbox(input.value);
    if (initial) show(initial, true);
    window.landinfoPlannerMap = map; // ready: for the end-to-end tests
  };

  /* --- Background jobs: refresh their status while they run ------------------------- */

  function follow(element) {
    const url = element.dataset.url;
    const field = (name) => element.querySelector(`[data-field="${name}"]`);
    const tick = async () => {
      let status;
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) return;
        status = await response.json();
      } catch (error) {
        return; // the next tick tries again
      }
      element.dataset.status = status.status;
      field("status_label").textContent = status.status_label;
      field("status_label").className = `status-chip status-${status.status}`;
      const progress = field("progress");
      progress.value = status.progress;
      progress.textContent = `${status.progress}%`;
      progress.hidden = !["queued", "running"].includes(status.status);
      field("percent").textContent = `${status.progress}%`;
      field("percent").hidden = status.status !== "running";
      if (status.download) {
        field("download").href = status.download;
        field("download").hidden = false;
      }
      if (!["queued", "running"].includes(status.status)) {
        clearInterval(timer);
        // The detail page shows the count, size or error: read it from the server.
        if (document.querySelector("[data-field=summary]")) window.location.reload();
      }
    };
    const timer = setInterval(tick, 2000);
  }

  function setUpJobs() {
    for (const element of document.querySelectorAll("[data-job-status]")) {
      if (["queued", "running"].includes(element.dataset.status)) follow(element);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => {
      setUpForm();
      setUpJobs();
    });
  } else {
    setUpForm();
    setUpJobs();
  }
})();
