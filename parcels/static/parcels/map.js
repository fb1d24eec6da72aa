/*
 * LandInfo map page: parcels from vector tiles, search with suggestions, the parcel sheet
 * with its history, an "as of" date, and a URL that reopens the same view.
 *
 * Leaflet's map is made by django-leaflet ({% leaflet_map %}), which calls
 * window.landinfoMapInit(map) once the page has loaded. Strings go through gettext()
 * from Django's JavaScript catalogue (/jsi18n/). No network request leaves the site.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("landinfo-config").textContent);
  const LANG = document.documentElement.lang || config.profile.language;
  const gettext = window.gettext || ((text) => text);
  const gettext_noop = window.gettext_noop || ((text) => text);
  const ngettext = window.ngettext || ((singular, plural, count) => (count === 1 ? singular : plural));
  const interpolate = window.interpolate || ((text) => text);
  const named = (text, values) => interpolate(text, values, true);

  // The zoom from which the tile server sends the `parcels` layer (see parcels/tiles.py);
  // below it the map shows administrative units and zoning, and says to zoom in.
  const PARCELS_MIN_ZOOM = config.tiles.parcelsMinZoom;
  // The wait after a keystroke before asking for suggestions: a word typed at speed is
  // one request, and they still show within ~150 ms of the last key (at 1M parcels, with
  // 80 ms: p50 106, p95 163 ms, of which the answer ~30 ms; bench/suggest.py). A newer
  // keystroke aborts the request of an older text.
  const SEARCH_DELAY_MS = 60;
  const SEARCH_LIMIT = 8;
  const PHONE_QUERY = window.matchMedia("(max-width: 600px)");

  // Fill colours by land-use group, and the colours of outlines: the register's palette
  // (parcels/publishing/style.py), which its MapLibre style for other sites uses too.
  const PALETTE = config.palette;
  const GROUP_COLOURS = PALETTE.groups;
  const GROUP_LABELS = {
    agricultural: gettext("Agricultural land"),
    residential: gettext("Residential land"),
    commercial: gettext("Commercial and industrial land"),
    public: gettext("Public land"),
    infrastructure: gettext("Infrastructure"),
    religious: gettext("Religious land and cemeteries"),
    water: gettext("Water"),
    forest: gettext("Forest"),
    unused: gettext("Unused land"),
    defence: gettext("Defence and security"),
  };
  const HOLDER_KINDS = {
    person: gettext("Person"),
    organisation: gettext("Organisation"),
    state: gettext("The State"),
  };
  const pgettext = window.pgettext || ((context, text) => text);
  const ENTRY_KINDS = {
    // Korea's law names it 소유권보존; English says "First registration" for both.
    first_registration: gettext("First registration"),
    transfer: gettext("Transfer"),
    // The deed that registers a mortgage, not the right ("저당권 설정", not "저당권").
    mortgage: pgettext("deed", "Mortgage"),
    discharge: gettext("Mortgage discharge"),
    subdivision: gettext("Subdivision"),
    merge: gettext("Merge"),
    correction: gettext("Correction"),
  };

  // A transfer as the office names the deed (transactions.words.TRANSFER_DEEDS): "Chuyển
  // nhượng", "소유권 이전(매매)".
  const TRANSFER_DEEDS = {
    sale: pgettext("deed", "Transfer by sale"),
    gift: pgettext("deed", "Transfer by gift"),
    inheritance: pgettext("deed", "Transfer by inheritance"),
  };

  // Figures as the register prints them, the same as on the certificate (site.js).
  const FORMATS = window.LandInfoFormats;

  /** Return a day (YYYY-MM-DD) or a moment's day in the register's time zone, as the page's language writes days. */
  function formatDate(text) {
    return FORMATS.day(text);
  }

  /** Return a moment's full time in the register's zone, naming the zone ("… (Asia/Seoul)"). */
  function formatMoment(text) {
    return FORMATS.moment(text);
  }

  function formatArea(value) {
    return FORMATS.area(value);
  }

  /** Return today's date in the register's time zone, YYYY-MM-DD (its "today" for deeds). */
  function todayIso() {
    return FORMATS.isoDay(new Date());
  }

  const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

  /** Return an element: h("p", {class: "x"}, "text", child, ...); text is never parsed as HTML. */
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
      else if (name === "style") Object.assign(element.style, value);
      else element.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : String(child));
    }
    return element;
  }

  class HttpError extends Error {
    constructor(status, detail) {
      super(detail || "HTTP " + status);
      this.status = status;
      this.detail = detail;
    }
  }

  async function getJSON(url, signal) {
    const response = await fetch(url, { signal: signal, headers: { Accept: "application/json" } });
    if (!response.ok) {
      let detail = "";
      try {
        detail = (await response.json()).detail || "";
      } catch (error) {
        /* not JSON: keep the status alone */
      }
      throw new HttpError(response.status, detail);
    }
    return response.json();
  }

  function withQuery(url, params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "") query.set(key, value);
    }
    const text = query.toString();
    return text ? url + (url.includes("?") ? "&" : "?") + text : url;
  }

  const urls = {
    detail: (id) => config.urls.detail.replace("{pk}", encodeURIComponent(id)),
    history: (id) => config.urls.history.replace("{pk}", encodeURIComponent(id)),
    certificate: (id) => config.urls.certificate.replace("{pk}", encodeURIComponent(id)),
    tiles: (asOf) => withQuery(config.urls.tiles, { as_of: asOf }),
  };

  // --- Page state ---------------------------------------------------------------------

  const state = {
    map: null,
    tiles: null,
    highlight: null,
    parcelId: null, // the parcel on the sheet
    parcel: null, // its sheet data
    anchor: null, // a point of it (the click, or the API's point on its surface)
    asOf: "", // "" is the current register
    request: null, // AbortController of the sheet request in flight
    sequence: 0, // the newest sheet request; older answers are dropped
    timings: [], // search → sheet durations, read by the end-to-end tests
    suggestTimings: [], // last keystroke → suggestions shown, and of it the request's time (tests read it)
  };

  const elements = {};

  function readUrl() {
    const params = new URLSearchParams(window.location.search);
    const parcel = params.get("parcel");
    const asOf = params.get("as_of") || "";
    const view = /^#(\d{1,2})\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(window.location.hash);
    return {
      parcelId: parcel && /^\d+$/.test(parcel) ? Number(parcel) : null,
      asOf: ISO_DATE.test(asOf) ? asOf : "",
      view: view ? { zoom: Number(view[1]), center: [Number(view[2]), Number(view[3])] } : null,
    };
  }

  function currentUrl() {
    const params = new URLSearchParams();
    if (state.parcelId !== null) params.set("parcel", state.parcelId);
    if (state.asOf) params.set("as_of", state.asOf);
    const query = params.toString();
    let hash = "";
    if (state.map) {
      const center = state.map.getCenter();
      const zoom = state.map.getZoom();
      const digits = Math.max(4, Math.ceil(Math.log10(Math.pow(2, zoom))));
      hash = "#" + zoom + "/" + center.lat.toFixed(digits) + "/" + center.lng.toFixed(digits);
    }
    return window.location.pathname + (query ? "?" + query : "") + hash;
  }

  /** Put the state in the address bar; a new entry for a new parcel, so Back returns to the last one. */
  function writeUrl(push) {
    const url = currentUrl();
    if (url === window.location.pathname + window.location.search + window.location.hash) return;
    const entry = { parcelId: state.parcelId, asOf: state.asOf };
    if (push) window.history.pushState(entry, "", url);
    else window.history.replaceState(entry, "", url);
  }

  // --- Messages -----------------------------------------------------------------------

  let messageTimer = null;

  function showMessage(text, kind) {
    const box = elements.message;
    box.textContent = text;
    box.className = "map-message is-visible" + (kind ? " is-" + kind : "");
    window.clearTimeout(messageTimer);
    messageTimer = window.setTimeout(() => {
      box.className = "map-message";
    }, 4000);
  }

  function errorText(error) {
    if (error instanceof HttpError && error.status >= 500) return gettext("The register could not answer; try again in a moment.");
    if (error instanceof HttpError && error.detail) return error.detail;
    return gettext("The register could not be reached; check the connection and try again.");
  }

  // --- Map layers ---------------------------------------------------------------------

  function landUse(code) {
    return config.landUses[code] || { name: code, name_en: code, group: "unused" };
  }

  function landUseName(code) {
    const entry = landUse(code);
    return LANG === "en" ? entry.name_en || entry.name : entry.name || entry.name_en;
  }

  function parcelStyle(properties, zoom) {
    const group = landUse(properties.land_use).group;
    return {
      fill: true,
      fillColor: GROUP_COLOURS[group] || GROUP_COLOURS.unused,
      fillOpacity: config.basemap ? 0.55 : 0.9,
      color: PALETTE.parcelOutline,
      // At z15 lots are ≈4 px wide: thinner outlines, or a dense quarter turns to ink.
      weight: zoom >= 18 ? 1 : zoom >= 16 ? 0.6 : 0.3,
      opacity: 0.9,
    };
  }

  function adminStyle(properties) {
    const level = Number(properties.level) || 3;
    return {
      fill: false,
      color: PALETTE.adminLine,
      weight: level <= 2 ? 3 : 2,
      opacity: 0.85,
      dashArray: level >= 3 ? "6 4" : null,
    };
  }

  function zoningStyle(properties, zoom) {
    // Over parcels a tint would muddle their land-use colours: outline only.
    const fill = zoom < PARCELS_MIN_ZOOM;
    return { fill: fill, fillColor: PALETTE.zoningFill, fillOpacity: 0.12, color: PALETTE.zoningLine, weight: fill ? 1 : 1.5, opacity: 0.8, dashArray: "4 3" };
  }

  // Drawing order within a tile, bottom to top: outlines of zones and units over the fills.
  const LAYER_ORDER = ["parcels", "zoning", "admin_units"];

  // The server writes layers in its own order; VectorGrid draws them in the order read.
  const OrderedProtobuf = L.VectorGrid.Protobuf.extend({
    _getVectorTilePromise: function (coords) {
      return L.VectorGrid.Protobuf.prototype._getVectorTilePromise.call(this, coords).then((tile) => {
        const ordered = {};
        for (const name of LAYER_ORDER) if (tile.layers[name]) ordered[name] = tile.layers[name];
        for (const name of Object.keys(tile.layers)) if (!ordered[name]) ordered[name] = tile.layers[name];
        tile.layers = ordered;
        return tile;
      });
    },
  });

  function makeTileLayer() {
    return new OrderedProtobuf(urls.tiles(state.asOf), {
      rendererFactory: L.canvas.tile,
      // Clicks ask the server which parcel is under the pointer (/api/parcels/at): the
      // client keeps no feature index, and VectorGrid's interactive canvas path does not
      // run on Leaflet >= 1.8.
      interactive: false,
      vectorTileLayerStyles: {
        zoning: zoningStyle,
        parcels: parcelStyle,
        admin_units: adminStyle,
      },
      maxNativeZoom: config.tiles.maxZoom,
      minZoom: config.view.minZoom,
      maxZoom: config.view.maxZoom,
      fetchOptions: { credentials: "same-origin" },
      attribution: gettext("Parcels: LandInfo register"),
    });
  }

  function updateZoomHint() {
    const low = state.map.getZoom() < PARCELS_MIN_ZOOM;
    elements.hint.hidden = !low;
  }

  function showHighlight(geometry) {
    clearHighlight();
    if (!geometry) return;
    const outline = (style) => L.geoJSON(geometry, { pane: "landinfo-highlight", interactive: false, style: style });
    // A white halo under the line keeps it readable on every fill colour. Made first:
    // a layer group adds its layers in the order they were created.
    const halo = outline({ color: "#ffffff", weight: 8, opacity: 0.95, fill: false });
    const line = outline({ color: "#c2185b", weight: 4, opacity: 1, fillColor: "#c2185b", fillOpacity: 0.15 });
    state.highlight = L.layerGroup([halo, line]).addTo(state.map);
  }

  function clearHighlight() {
    if (state.highlight) state.highlight.remove();
    state.highlight = null;
  }

  /** Return the padding that keeps a fitted parcel out from under the sheet. */
  function sheetPadding() {
    const sheet = elements.sheet;
    if (sheet.hidden) return { topLeft: [24, 24], bottomRight: [24, 24] };
    const rect = sheet.getBoundingClientRect();
    if (PHONE_QUERY.matches) return { topLeft: [24, 24], bottomRight: [24, rect.height + 24] };
    return { topLeft: [24, 24], bottomRight: [rect.width + 24, 24] };
  }

  function fitBbox(bbox) {
    if (!bbox || bbox.length !== 4) return;
    const padding = sheetPadding();
    state.map.fitBounds(
      [
        [bbox[1], bbox[0]],
        [bbox[3], bbox[2]],
      ],
      { paddingTopLeft: padding.topLeft, paddingBottomRight: padding.bottomRight, maxZoom: 18 }
    );
  }

  /** Pan so that `latlng` is not hidden under the bottom sheet on a phone. */
  function keepVisible(latlng) {
    if (!PHONE_QUERY.matches || elements.sheet.hidden) return;
    const point = state.map.latLngToContainerPoint(latlng);
    const size = state.map.getSize();
    const visibleBottom = size.y - elements.sheet.getBoundingClientRect().height - 16;
    if (point.y > visibleBottom) state.map.panBy([0, point.y - visibleBottom / 2], { animate: true });
  }

  // --- The parcel sheet ---------------------------------------------------------------

  function openSheet() {
    elements.sheet.hidden = false;
    elements.wrap.classList.add("sheet-open");
    syncSheetHeight();
  }

  function closeSheet(options) {
    const push = !options || options.push !== false;
    if (state.request) state.request.abort();
    state.sequence += 1;
    state.parcelId = null;
    state.parcel = null;
    state.anchor = null;
    elements.sheet.hidden = true;
    elements.sheet.dataset.state = "closed";
    elements.sheet.removeAttribute("data-parcel-id");
    elements.wrap.classList.remove("sheet-open");
    clearHighlight();
    writeUrl(push);
  }

  function sheetLoading() {
    openSheet();
    elements.sheet.dataset.state = "loading";
    elements.sheet.setAttribute("aria-busy", "true");
    elements.body.replaceChildren(h("p", { class: "sheet-loading" }, gettext("Loading…")));
  }

  function sheetError(text) {
    openSheet();
    elements.sheet.dataset.state = "error";
    elements.sheet.removeAttribute("aria-busy");
    elements.title.textContent = gettext("Parcel");
    elements.identifier.textContent = "";
    elements.body.replaceChildren(h("p", { class: "sheet-error" }, text));
  }

  function section(title, ...content) {
    return h("section", { class: "sheet-section" }, h("h3", {}, title), ...content);
  }

  function parcelLink(item) {
    return h(
      "a",
      {
        href: withQuery(window.location.pathname, { parcel: item.id, as_of: state.asOf }),
        class: "parcel-link",
        "data-parcel-id": item.id,
        onclick: (event) => {
          if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
          event.preventDefault();
          openParcel(item.id, { fit: true });
        },
      },
      item.display || item.identifier,
      item.display && item.identifier && item.display !== item.identifier ? h("span", { class: "muted" }, " · " + item.identifier) : null
    );
  }

  function holderText(holder) {
    if (!holder) return "—";
    if (typeof holder === "string") return holder;
    const name = holder.name || holder.holder && holder.holder.name || "—";
    const share = holder.share ? " (" + holder.share + ")" : "";
    return name + share;
  }

  function renderSheet(parcel) {
    elements.sheet.dataset.state = "ready";
    elements.sheet.dataset.parcelId = parcel.id;
    elements.sheet.removeAttribute("aria-busy");
    elements.title.textContent = parcel.display || parcel.identifier;
    elements.identifier.textContent = parcel.display && parcel.display !== parcel.identifier ? parcel.identifier : "";

    const facts = h("dl", { class: "facts" });
    const fact = (term, ...value) => facts.append(h("dt", {}, term), h("dd", {}, ...value));
    if (parcel.status === "retired") {
      fact(gettext("Status"), h("span", { class: "badge badge-retired" }, gettext("Retired")), " ", parcel.valid_to ? named(gettext("since %(date)s"), { date: formatDate(parcel.valid_to) }) : "");
    }
    if (parcel.lot_address) fact(gettext("Lot address"), parcel.lot_address);
    fact(gettext("Address"), parcel.address || "—");
    if (parcel.admin_unit) {
      // Written as the profile writes places (smallest first in Vietnam, largest first in Korea).
      fact(gettext("Administrative unit"), parcel.admin_unit.address || parcel.admin_unit.name);
    }
    if (parcel.land_use) {
      const use = parcel.land_use;
      const name = LANG === "en" ? use.name_en || use.name : use.name || use.name_en;
      const group = use.group || landUse(use.code).group;
      // The name the land law gives the use ("Đất ở tại đô thị", "대"), not its code.
      fact(
        gettext("Land use"),
        h("span", { class: "swatch", style: { background: GROUP_COLOURS[group] || GROUP_COLOURS.unused }, "aria-hidden": "true" }),
        h("strong", { id: "sheet-land-use" }, name || landUseName(use.code))
      );
    }
    const registered = Number(parcel.registered_area);
    const computed = Number(parcel.computed_area);
    fact(gettext("Registered area"), formatArea(parcel.registered_area));
    const difference = registered > 0 && isFinite(computed) ? (computed - registered) / registered : null;
    fact(
      gettext("Area on the map"),
      formatArea(parcel.computed_area),
      difference !== null && Math.abs(difference) >= 0.0005
        ? h("span", { class: Math.abs(difference) > 0.05 ? "delta delta-large" : "delta" }, " (" + (difference > 0 ? "+" : "") + FORMATS.percent(difference) + ")")
        : null
    );
    if (parcel.valid_from) fact(gettext("In the register since"), formatDate(parcel.valid_from));
    if (parcel.as_of) fact(gettext("Register as of"), formatDate(parcel.as_of));

    const parts = [facts];
    // Beyond what the scale of the parcel's cadastral map permits: said, not corrected.
    const discrepancy = parcel.area_discrepancy;
    if (discrepancy) {
      parts.push(
        h(
          "p",
          { class: "sheet-note", id: "area-discrepancy", role: "note" },
          named(gettext("Registered area differs from the drawn boundary by %(difference)s (%(percent)s), beyond the tolerance of %(tolerance)s at 1:%(scale)s."), {
            difference: formatArea(Math.abs(discrepancy.difference)),
            percent: (discrepancy.difference > 0 ? "+" : "−") + FORMATS.percent(Math.abs(discrepancy.percent) / 100),
            tolerance: formatArea(discrepancy.tolerance),
            scale: String(discrepancy.map_scale), // written "1:1000", as maps print it
          })
        )
      );
    }
    // Applications filed on the parcel and not decided yet (what a Korean 등기사항증명서
    // marks "신청사건 처리중"): a deed may soon change what the sheet says.
    const pending = parcel.pending_applications || [];
    if (pending.length && !parcel.as_of && !parcel.known_at) {
      parts.push(
        h(
          "p",
          { class: "sheet-note", id: "pending-applications", role: "note" },
          named(
            ngettext(
              "An application filed on this parcel is not decided yet (receipt %(receipts)s): what the register says may change.",
              "%(count)s applications filed on this parcel are not decided yet (receipts %(receipts)s): what the register says may change.",
              pending.length
            ),
            { count: String(pending.length), receipts: pending.map((application) => application.receipt_number).join(", ") }
          )
        )
      );
    }
    // A certificate states the register now, signed at the journal's head: not a past date.
    if (!parcel.as_of && !parcel.known_at) {
      parts.push(
        h(
          "p",
          { class: "sheet-certificate" },
          h("a", { id: "certificate-link", href: withQuery(urls.certificate(parcel.id), { lang: LANG.split("-")[0] }), target: "_blank", rel: "noopener" }, gettext("Land information statement (PDF)")),
          h("span", { class: "muted small" }, " · " + gettext("with a QR code anyone can check"))
        )
      );
    }
    // Anyone may follow a current parcel: an e-mail at every application filed on it.
    if (config.urls.alerts && !parcel.as_of && !parcel.known_at && parcel.status !== "retired") {
      parts.push(
        h(
          "p",
          { class: "sheet-alerts small" },
          h("a", { id: "alerts-link", href: withQuery(config.urls.alerts, { parcel: parcel.id }) }, gettext("Get alerts for this parcel"))
        )
      );
    }
    const deeds = deedLinks(parcel);
    if (deeds) parts.push(deeds);

    const zoning = parcel.zoning || [];
    parts.push(
      section(
        gettext("Zoning"),
        zoning.length
          ? h(
              "ul",
              { class: "shares" },
              zoning.map((zone) => {
                let share = Number(zone.share);
                if (share > 1) share = share / 100; // tolerate a percentage
                const width = Math.max(0, Math.min(1, share)) * 100;
                return h(
                  "li",
                  {},
                  h("div", { class: "share-label" }, h("span", { title: zone.code }, h("strong", {}, zone.name || zone.code)), h("span", { class: "share-value" }, FORMATS.percent(share))),
                  h("div", { class: "bar", role: "presentation" }, h("span", { style: { width: width.toFixed(1) + "%" } })),
                  zone.plan ? h("div", { class: "muted small" }, zone.plan) : null
                );
              })
            )
          : h("p", { class: "muted" }, gettext("No zoning zone covers this parcel."))
      )
    );

    const prices = (parcel.prices || []).slice().sort((a, b) => b.year - a.year);
    parts.push(
      section(
        gettext("Official land price"),
        prices.length
          ? h(
              "table",
              { class: "prices" },
              h("thead", {}, h("tr", {}, h("th", { scope: "col" }, gettext("Year")), h("th", { scope: "col" }, named(gettext("Price per %(unit)s"), { unit: FORMATS.areaUnit })))),
              h(
                "tbody",
                {},
                prices.map((price) => h("tr", {}, h("th", { scope: "row" }, price.year), h("td", {}, FORMATS.amount(price.price_per_m2, price.currency || config.profile.currency))))
              )
            )
          : h("p", { class: "muted" }, gettext("No official price is recorded."))
      )
    );

    parts.push(rightsSection(parcel));

    const parents = parcel.parents || [];
    const children = parcel.children || [];
    if (parents.length || children.length) {
      parts.push(
        section(
          gettext("Lineage"),
          parents.length ? h("p", {}, h("span", { class: "muted" }, gettext("Made from:") + " "), ...joinNodes(parents.map(parcelLink))) : null,
          children.length ? h("p", {}, h("span", { class: "muted" }, gettext("Split or merged into:") + " "), ...joinNodes(children.map(parcelLink))) : null
        )
      );
    }

    elements.history = h("div", { class: "history", "data-state": "loading" }, h("p", { class: "muted" }, gettext("Loading…")));
    parts.push(section(gettext("History of deeds"), elements.history));
    parts.push(proofFold(parcel));

    elements.body.replaceChildren(...parts);
    elements.body.scrollTop = 0;
  }

  /** Return the kind of holder as the profile's law names it (the sheet sends it translated). */
  function holderKindName(holder) {
    return holder.holder_kind_label || HOLDER_KINDS[holder.kind] || holder.kind;
  }

  /**
   * Return the lines of what the certificate states of a right (origin, form of use, term,
   * attached assets), each only when the register has it.
   */
  function rightParticulars(right) {
    const lines = [];
    if (right.origin_label) lines.push([gettext("Origin"), right.origin_label]);
    if (right.use_form_label) lines.push([gettext("Form of use"), right.use_form_label]);
    if (right.term === "long_term") lines.push([gettext("Term of use"), gettext("Long-term")]);
    else if (right.term) lines.push([gettext("Term of use"), named(gettext("Until %(date)s"), { date: formatDate(right.term) })]);
    if (right.attached_assets) lines.push([gettext("Assets attached to the land"), right.attached_assets]);
    return lines.map(([label, value]) => h("div", { class: "muted small right-particular" }, label + ": " + value));
  }

  /**
   * Return the section of who holds the land and what burdens it, as the land office
   * writes them: the land users (Vietnam) or owners (Korea) with their shares only when
   * they hold the land together, then each burden in a sentence ("Đang thế chấp tại
   * <bank>, đăng ký ngày <date>"; "근저당권 설정: <bank>, <date> 등기"), not as a holder.
   */
  function rightsSection(parcel) {
    const rights = parcel.rights || [];
    const holders = rights.filter((right) => right.kind === "ownership");
    const burdens = rights.filter((right) => right.kind !== "ownership");
    // A share is printed for co-ownership only, as on the certificate and the statement
    // (transactions.words.co_owned): a sole holder's "1/1" says nothing.
    const shared = holders.length > 1 || holders.some((right) => right.share && right.share !== "1/1");
    const title = config.profile.key === "vn" ? gettext("Land users") : gettext("Owners");
    return section(
      parcel.as_of ? named(gettext("%(title)s on %(date)s"), { title: title, date: formatDate(parcel.as_of) }) : title,
      holders.length
        ? h(
            "ul",
            { class: "rights", id: "sheet-holders" },
            holders.map((right) =>
              h(
                "li",
                {},
                h(
                  "div",
                  {},
                  h("strong", {}, right.holder ? right.holder.name : "—"),
                  shared && right.share ? h("span", { class: "share-chip", title: gettext("Share") }, right.share) : null,
                  right.holder && right.holder.kind ? h("span", { class: "muted" }, " · " + holderKindName(right.holder)) : null
                ),
                right.valid_from ? h("div", { class: "muted small" }, named(gettext("since %(date)s"), { date: formatDate(right.valid_from) })) : null,
                ...rightParticulars(right)
              )
            )
          )
        : h("p", { class: "muted" }, config.profile.key === "vn" ? gettext("No land user is registered on this parcel.") : gettext("No owner is registered on this parcel.")),
      burdens.length ? h("ul", { class: "burdens", id: "sheet-burdens" }, burdens.map((right) => h("li", {}, burdenText(right)))) : null
    );
  }

  // A burden in one sentence, the holder named and the day it was registered.
  const BURDEN_SENTENCES = {
    mortgage: gettext_noop("Mortgaged to %(holder)s, registered on %(date)s"),
    lease: gettext_noop("Leased to %(holder)s, registered on %(date)s"),
    easement: gettext_noop("Easement for %(holder)s, registered on %(date)s"),
  };

  function burdenText(right) {
    const holder = right.holder ? right.holder.name : "—";
    const sentence = BURDEN_SENTENCES[right.kind];
    if (!sentence) return right.kind + ": " + holder; // a kind this page does not know yet
    return named(gettext(sentence), { holder: holder, date: formatDate(right.valid_from) });
  }

  /**
   * Return the sheet's "Details for verification": the codes and journal positions a
   * citizen does not read, for whoever checks the register (the parcel's identifier,
   * its land-use code, the journal entries of its deeds). Closed until asked for.
   */
  function proofFold(parcel) {
    const facts = h("dl", { class: "facts proof-facts" });
    const fact = (term, value) => facts.append(h("dt", {}, term), h("dd", {}, value));
    fact(gettext("Parcel identifier"), h("code", {}, parcel.identifier));
    if (parcel.land_use) fact(gettext("Land-use code"), h("code", {}, parcel.land_use.code));
    if (parcel.last_entry) fact(gettext("Last journal entry on the parcel"), "#" + parcel.last_entry);
    elements.proofEntries = h("dd", { id: "sheet-proof-entries" }, "…");
    facts.append(h("dt", {}, gettext("Journal entries of the deeds")), elements.proofEntries);
    return h(
      "details",
      { class: "sheet-section proof-fold", id: "sheet-proof" },
      h("summary", {}, gettext("Details for verification")),
      facts
    );
  }

  /**
   * Return the way from the sheet to the deed forms, for a notary or registrar (the page
   * names the forms in config.deeds only for them); null for everyone else, and for a
   * parcel no deed can be recorded on any more.
   */
  function deedLinks(parcel) {
    const deeds = config.deeds;
    if (!deeds || parcel.status !== "current") return null;
    const url = (kind) => withQuery(deeds[kind], { parcel: parcel.id });
    // A parcel nobody holds yet is registered first; any other is transferred.
    const held = (parcel.rights || []).some((right) => right.kind === "ownership");
    const main = held || !deeds.first_registration ? "transfer" : "first_registration";
    const others = Object.keys(deeds).filter((kind) => kind !== main);
    return h(
      "section",
      { class: "sheet-section sheet-deeds", "aria-label": gettext("Deeds") },
      h("a", { class: "deed-button", id: "record-deed", "data-kind": main, href: url(main) }, gettext("Record a deed")),
      h(
        "ul",
        { class: "deed-links", "aria-label": gettext("Other deeds") },
        others.map((kind) => h("li", {}, h("a", { href: url(kind), "data-kind": kind }, ENTRY_KINDS[kind] || kind)))
      )
    );
  }

  function joinNodes(nodes) {
    const out = [];
    nodes.forEach((node, index) => {
      if (index) out.push(", ");
      out.push(node);
    });
    return out;
  }

  function renderHistory(history) {
    const box = elements.history;
    if (!box) return;
    const entries = (history.entries || []).slice().sort((a, b) => b.sequence - a.sequence);
    box.dataset.state = "ready";
    box.dataset.asOf = history.as_of || "";
    if (elements.proofEntries) {
      elements.proofEntries.textContent = entries.length
        ? entries.map((entry) => "#" + entry.sequence + " " + entryLabel(entry) + " (" + formatDate(entry.effective_date) + ")").join("; ")
        : "—";
    }
    if (!entries.length) {
      box.replaceChildren(h("p", { class: "muted" }, gettext("No deed is recorded for this parcel.")));
      return;
    }
    box.replaceChildren(
      h(
        "ol",
        { class: "timeline" },
        entries.map((entry) => {
          const before = (entry.holders_before || []).map(holderText).join(", ");
          const after = (entry.holders_after || []).map(holderText).join(", ");
          return h(
            "li",
            { class: "timeline-entry kind-" + entry.kind },
            h("div", { class: "timeline-date" }, h("time", { datetime: entry.effective_date }, formatDate(entry.effective_date))),
            h("div", { class: "timeline-kind" }, entryLabel(entry)),
            before || after ? h("div", { class: "timeline-holders" }, before ? before + " → " : "", after || "—") : null,
            entry.recorded_at ? h("div", { class: "muted small", title: formatMoment(entry.recorded_at) }, named(gettext("recorded %(date)s"), { date: formatDate(entry.recorded_at) })) : null
          );
        })
      )
    );
  }

  /**
   * Return what a deed was, in the page's language: its kind and, for a transfer, its
   * type.
   */
  function entryLabel(entry) {
    return TRANSFER_DEEDS[entry.transfer_type] || ENTRY_KINDS[entry.kind] || entry.kind;
  }

  async function loadHistory(id, sequence, signal) {
    try {
      const history = await getJSON(withQuery(urls.history(id), { as_of: state.asOf }), signal);
      if (sequence !== state.sequence) return;
      renderHistory(history);
    } catch (error) {
      if (error.name === "AbortError" || sequence !== state.sequence) return;
      if (elements.history) {
        elements.history.dataset.state = "error";
        elements.history.replaceChildren(h("p", { class: "sheet-error" }, errorText(error)));
      }
    }
  }

  // A point inside the parcel, from the API ([lon, lat] on its surface): the centre of its
  // box, or its centroid, can lie outside a concave parcel, in a neighbour or in the street.
  function surfacePoint(point) {
    return point && point.length === 2 ? L.latLng(point[1], point[0]) : null;
  }

  /** Show `parcel` (a sheet from the API) on the sheet and the map; fetch its history. */
  function showParcel(parcel, options, sequence, signal) {
    const push = options.push !== false && parcel.id !== state.parcelId;
    state.parcelId = parcel.id;
    state.parcel = parcel;
    state.anchor = options.latlng || options.anchor || surfacePoint(parcel.point);
    renderSheet(parcel);
    showHighlight(parcel.geometry);
    if (options.fit) fitBbox(parcel.bbox);
    else if (options.latlng) keepVisible(options.latlng);
    writeUrl(push);
    loadHistory(parcel.id, sequence, signal);
    if (options.startedAt) {
      const ms = Math.round(performance.now() - options.startedAt);
      state.timings.push({ query: options.query || "", ms: ms });
      if (config.debug) console.debug("search → sheet", options.query, ms + " ms");
    }
  }

  function beginRequest() {
    if (state.request) state.request.abort();
    state.request = new AbortController();
    state.sequence += 1;
    return { sequence: state.sequence, signal: state.request.signal };
  }

  /**
   * Open the sheet of parcel `id`; `fit` zooms to it (search, links), clicks do not.
   * With `fallbackAt`, a parcel missing on the chosen date gives way to the parcel that
   * was at that point then (moving the date back over a split shows the parent).
   */
  async function openParcel(id, options) {
    options = options || {};
    const { sequence, signal } = beginRequest();
    sheetLoading();
    if (options.fit && options.bbox) fitBbox(options.bbox);
    try {
      let parcel;
      try {
        parcel = await getJSON(withQuery(urls.detail(id), { as_of: state.asOf }), signal);
      } catch (error) {
        if (!(error instanceof HttpError && error.status === 404 && options.fallbackAt)) throw error;
        const at = options.fallbackAt;
        parcel = await getJSON(withQuery(config.urls.at, { lon: at.lng.toFixed(7), lat: at.lat.toFixed(7), as_of: state.asOf }), signal);
      }
      if (sequence !== state.sequence) return;
      showParcel(parcel, options, sequence, signal);
    } catch (error) {
      if (error.name === "AbortError" || sequence !== state.sequence) return;
      state.parcelId = Number(id);
      writeUrl(options.push !== false);
      clearHighlight();
      if (error instanceof HttpError && error.status === 404) {
        sheetError(state.asOf ? named(gettext("This parcel was not in the register on %(date)s."), { date: formatDate(state.asOf) }) : gettext("There is no such parcel in the register."));
      } else sheetError(errorText(error));
    }
  }

  async function openAt(latlng, options) {
    options = options || {};
    const { sequence, signal } = beginRequest();
    const url = withQuery(config.urls.at, { lon: latlng.lng.toFixed(7), lat: latlng.lat.toFixed(7), as_of: state.asOf });
    elements.wrap.classList.add("is-busy");
    try {
      const parcel = await getJSON(url, signal);
      if (sequence !== state.sequence) return;
      openSheet();
      showParcel(parcel, { latlng: latlng, push: options.push }, sequence, signal);
    } catch (error) {
      if (error.name === "AbortError" || sequence !== state.sequence) return;
      if (error instanceof HttpError && error.status === 404) showMessage(gettext("No parcel at this point."));
      else showMessage(errorText(error), "error");
    } finally {
      if (sequence === state.sequence) elements.wrap.classList.remove("is-busy");
    }
  }

  // --- Bottom sheet on phones: drag the grip between a third, a half and most of the screen.

  const SHEET_STOPS = [0.3, 0.5, 0.88];

  function syncSheetHeight() {
    const height = elements.sheet.hidden ? 0 : elements.sheet.getBoundingClientRect().height;
    elements.wrap.style.setProperty("--sheet-height", PHONE_QUERY.matches ? height + "px" : "0px");
  }

  function setSheetStop(fraction) {
    elements.sheet.style.height = Math.round(fraction * 100) + "%";
    syncSheetHeight();
  }

  function setupSheetGrip() {
    const grip = elements.grip;
    let start = null;
    grip.addEventListener("pointerdown", (event) => {
      if (!PHONE_QUERY.matches) return;
      start = { y: event.clientY, height: elements.sheet.getBoundingClientRect().height, moved: false };
      grip.setPointerCapture(event.pointerId);
      elements.sheet.classList.add("is-dragging");
    });
    grip.addEventListener("pointermove", (event) => {
      if (!start) return;
      const dy = start.y - event.clientY;
      if (Math.abs(dy) > 4) start.moved = true;
      const total = elements.wrap.getBoundingClientRect().height;
      const height = Math.max(48, Math.min(total * 0.95, start.height + dy));
      elements.sheet.style.height = height + "px";
    });
    const finish = () => {
      if (!start) return;
      const moved = start.moved;
      start = null;
      elements.sheet.classList.remove("is-dragging");
      const total = elements.wrap.getBoundingClientRect().height;
      const fraction = elements.sheet.getBoundingClientRect().height / total;
      if (!moved) {
        // A tap steps through the stops, as the button's label says.
        const next = SHEET_STOPS.find((stop) => stop > fraction + 0.02);
        setSheetStop(next || SHEET_STOPS[0]);
        return;
      }
      if (fraction < 0.15) {
        elements.sheet.style.height = "";
        closeSheet();
        return;
      }
      const nearest = SHEET_STOPS.reduce((best, stop) => (Math.abs(stop - fraction) < Math.abs(best - fraction) ? stop : best));
      setSheetStop(nearest);
    };
    grip.addEventListener("pointerup", finish);
    grip.addEventListener("pointercancel", finish);
    grip.addEventListener("click", (event) => {
      // Keyboard users: Enter or Space on the grip steps through the stops too.
      if (event.detail === 0 && PHONE_QUERY.matches) {
        const total = elements.wrap.getBoundingClientRect().height;
        const fraction = elements.sheet.getBoundingClientRect().height / total;
        const next = SHEET_STOPS.find((stop) => stop > fraction + 0.02);
        setSheetStop(next || SHEET_STOPS[0]);
      }
    });
    PHONE_QUERY.addEventListener("change", () => {
      elements.sheet.style.height = "";
      syncSheetHeight();
    });
  }

  // --- Search -------------------------------------------------------------------------

  const search = {
    timer: null,
    controller: null,
    query: "", // the text the shown results answer
    results: [],
    empty: "", // what the list says when it has no results (the server's reason, an error)
    active: -1,
    pending: null, // promise of the request in flight
    asking: null, // the text of the request in flight
  };

  // What a suggestion says of how its address was found; exact matches say nothing.
  const QUALITY_NOTES = {
    prefix: gettext("completing the word"),
    fuzzy: gettext("similar spelling"),
  };

  // The server's reasons for finding nothing are in English (parcels/search/engine.py):
  // each is named here for the catalogue and shown translated; any other, as it came.
  const SERVER_MESSAGES = new Set([gettext_noop("The register has no administrative unit of that name; check its spelling, or leave the place out.")]);
  const serverMessage = (text) => (SERVER_MESSAGES.has(text) ? gettext(text) : text);

  const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;

  /** Return `char` folded as the search index folds it: no case, no diacritics, "đ" as "d". */
  function foldChar(char) {
    const bare = char.normalize("NFKC").toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
    return bare.replace(/[đð]/g, "d").normalize("NFC");
  }

  /**
   * Return the words of `text` as the index reads them (parcels/search/text.py): folded,
   * cut at anything not a letter or digit and between digits and letters ("예시1동" is
   * 예시 1 동). Each word keeps its span in `text` and, for each folded length, the end
   * of the typed text it came from (to mark the start of a word being completed).
   */
  function readWords(text) {
    const words = [];
    let word = null;
    let position = 0;
    for (const char of text) {
      const next = position + char.length;
      for (const folded of foldChar(char)) {
        if (!LETTER_OR_DIGIT.test(folded)) {
          word = null;
          continue;
        }
        const digit = folded >= "0" && folded <= "9";
        if (word && word.digit !== digit) word = null;
        if (!word) {
          word = { text: "", start: position, end: next, digit: digit, ends: [] };
          words.push(word);
        }
        word.text += folded;
        word.end = next;
        word.ends.push(next);
      }
      position = next;
    }
    return words;
  }

  /**
   * Return the spans of `text` that the typed words match: each whole word typed and,
   * when the server `completing` the last word found it, the start of the words that
   * complete it ("Trường Chi" → Chi|nh).
   */
  function matchedSpans(text, typed, completing) {
    if (!typed.length) return [];
    const whole = new Set(typed.map((word) => word.text));
    const last = typed[typed.length - 1].text;
    const spans = [];
    for (const word of readWords(text)) {
      if (whole.has(word.text)) spans.push([word.start, word.end]);
      else if (completing && word.text.startsWith(last)) spans.push([word.start, word.ends[last.length - 1]]);
    }
    return spans;
  }

  /** Return `text` as nodes with `spans` in <mark>; spans apart by spaces or hyphens are one. */
  function marked(text, spans) {
    const joined = [];
    for (const [start, end] of spans) {
      const previous = joined[joined.length - 1];
      if (previous && /^[\s\-/.]*$/.test(text.slice(previous[1], start))) previous[1] = end;
      else joined.push([start, end]);
    }
    const nodes = [];
    let at = 0;
    for (const [start, end] of joined) {
      if (start > at) nodes.push(text.slice(at, start));
      nodes.push(h("mark", {}, text.slice(start, end)));
      at = end;
    }
    if (at < text.length) nodes.push(text.slice(at));
    return nodes;
  }

  /**
   * Return `results` with, among identifier matches ranked equal, those of the commune on
   * the sheet first: "12/345" is found in every commune, and the one being looked at is
   * the likeliest meant. Every other order is the server's.
   */
  function nearestFirst(results) {
    const unit = state.parcel && state.parcel.admin_unit ? state.parcel.admin_unit.code : null;
    if (!unit) return results;
    const here = (result) => result.admin_unit && result.admin_unit.code === unit;
    const ordered = [];
    let start = 0;
    while (start < results.length) {
      const first = results[start];
      const tied = (result) => first.match === "identifier" && result.match === "identifier" && result.score === first.score;
      let end = start + 1;
      while (end < results.length && tied(results[end])) end += 1;
      const run = results.slice(start, end);
      ordered.push(...run.filter(here), ...run.filter((result) => !here(result)));
      start = end;
    }
    return ordered;
  }

  /** Say to screen readers what the last answer holds (not on every keystroke: once an answer is in). */
  function announce(text) {
    const status = elements.searchStatus;
    // The same words again are not read again; a no-break space at the end makes them new.
    status.textContent = status.textContent === text ? text + "\u00a0" : text;
  }

  /** Ask for the suggestions of `query`; `typedAt`, the last keystroke, times how soon they show. */
  function runSearch(query, typedAt) {
    if (search.controller) search.controller.abort();
    search.controller = new AbortController();
    search.asking = query;
    const signal = search.controller.signal;
    const askedAt = performance.now();
    search.pending = getJSON(withQuery(config.urls.search, { q: query, limit: SEARCH_LIMIT, as_of: state.asOf }), signal)
      .then((answer) => {
        search.asking = null;
        search.query = query;
        search.results = nearestFirst(answer.results || []);
        search.empty = answer.message ? serverMessage(answer.message) : gettext("No parcel or address matches.");
        renderResults();
        const count = search.results.length;
        announce(count ? named(ngettext("%(count)s suggestion", "%(count)s suggestions", count), { count: count }) : search.empty);
        if (typedAt) {
          const now = performance.now();
          state.suggestTimings.push({ query: query, ms: Math.round(now - typedAt), request: Math.round(now - askedAt) });
        }
        return search.results;
      })
      .catch((error) => {
        if (error.name === "AbortError") return null;
        search.asking = null;
        search.query = query;
        search.results = [];
        search.empty = error instanceof HttpError && error.status === 400 ? error.detail || gettext("Type a parcel number or an address.") : errorText(error);
        renderResults();
        announce(search.empty);
        return [];
      });
    return search.pending;
  }

  function closeResults() {
    elements.results.hidden = true;
    elements.searchInput.setAttribute("aria-expanded", "false");
    elements.searchInput.removeAttribute("aria-activedescendant");
    search.active = -1;
  }

  /**
   * Return the option of `result`: its lot; then the part of it the text matched (the
   * lot address for a lot number or identifier, else the street address) with the typed
   * words marked; then how it was found, the place named, and its identifier.
   */
  function suggestion(result, index, typed) {
    const byLot = result.match === "identifier";
    const matched = (byLot ? result.lot_address : result.address) || result.display || result.identifier;
    const unit = result.admin_unit ? result.admin_unit.name : "";
    const quality = QUALITY_NOTES[result.quality];
    const details = [
      quality ? h("span", { class: "option-quality" }, quality) : null,
      // A lot address spells out its place already; a street address may not.
      result.place && !(byLot && matched.includes(result.place.name)) ? named(gettext("in %(place)s"), { place: result.place.name }) : null,
      byLot ? result.address : null,
      !byLot && !(result.place && result.admin_unit && result.place.code === result.admin_unit.code) ? unit : null,
      result.identifier,
    ].filter(Boolean);
    return h(
      "li",
      {
        id: "search-option-" + index,
        class: "search-option",
        role: "option",
        "aria-selected": "false",
        "data-parcel-id": result.id,
        "data-match": result.match,
        "data-quality": result.quality,
        onmousedown: (event) => event.preventDefault(), // keep focus in the box
        onclick: () => choose(index),
      },
      h(
        "div",
        { class: "option-main" },
        h("strong", {}, result.display || result.identifier),
        result.retired ? h("span", { class: "badge badge-retired" }, gettext("Retired")) : null,
        result.land_use ? h("span", { class: "option-use", title: result.land_use.code }, landUseName(result.land_use.code)) : null
      ),
      h("div", { class: "option-matched" }, marked(matched, matchedSpans(matched, typed, result.quality === "prefix"))),
      h("div", { class: "option-details" }, details.flatMap((detail, i) => (i ? [" · ", detail] : [detail])))
    );
  }

  function renderResults() {
    const list = elements.results;
    list.replaceChildren();
    search.active = -1;
    elements.searchInput.removeAttribute("aria-activedescendant");
    if (!search.results.length) {
      list.append(h("li", { class: "search-empty", role: "option", "aria-disabled": "true" }, search.empty || gettext("No parcel or address matches.")));
    }
    const typed = readWords(search.query);
    search.results.forEach((result, index) => list.append(suggestion(result, index, typed)));
    list.hidden = false;
    elements.searchInput.setAttribute("aria-expanded", "true");
  }

  function setActive(index) {
    const options = elements.results.querySelectorAll(".search-option");
    if (!options.length) return;
    search.active = (index + options.length) % options.length;
    options.forEach((option, i) => option.setAttribute("aria-selected", i === search.active ? "true" : "false"));
    const option = options[search.active];
    elements.searchInput.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  function choose(index, startedAt) {
    const result = search.results[index];
    if (!result) return;
    closeResults();
    elements.searchInput.value = result.display && result.admin_unit ? result.display + ", " + result.admin_unit.name : result.display || result.identifier;
    // The list closed and focus stays in the box: say what opened beside it.
    announce(named(gettext("Opened on the map: %(parcel)s"), { parcel: elements.searchInput.value }));
    const anchor = surfacePoint(result.point);
    openParcel(result.id, { fit: true, bbox: result.bbox, anchor: anchor, startedAt: startedAt || performance.now(), query: search.query });
  }

  async function submitSearch() {
    const startedAt = performance.now();
    const query = elements.searchInput.value.trim();
    if (!query) return;
    window.clearTimeout(search.timer);
    if (search.active >= 0 && search.query === query) {
      choose(search.active, startedAt);
      return;
    }
    const results = search.query === query && search.results.length ? search.results : await runSearch(query);
    if (!results || !results.length || elements.searchInput.value.trim() !== query) return;
    // Enter opens what the text names exactly; a completion or a spelling guess is
    // shown marked, first in the list, for the person to pick (Enter again).
    if (results[0].quality === "exact" || results[0].quality === undefined) choose(0, startedAt);
    else {
      if (elements.results.hidden) renderResults();
      setActive(0);
    }
  }

  function setupSearch() {
    const input = elements.searchInput;
    input.addEventListener("input", () => {
      const typedAt = performance.now();
      const query = input.value.trim();
      window.clearTimeout(search.timer);
      if (query === search.asking) return; // a space after a word: the same question
      // The answer to the text before this keystroke would be stale: drop it.
      if (search.controller) search.controller.abort();
      search.asking = null;
      if (query === search.query && !elements.results.hidden) return; // a letter taken back
      if (query.length < 2) {
        search.query = "";
        search.results = [];
        closeResults();
        return;
      }
      search.timer = window.setTimeout(() => runSearch(query, typedAt), SEARCH_DELAY_MS);
    });
    input.addEventListener("keydown", (event) => {
      const open = !elements.results.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (open) setActive(search.active + 1);
        else if (search.results.length) {
          renderResults();
          setActive(0);
        }
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) setActive(search.active - 1);
        else if (search.results.length) {
          renderResults();
          setActive(-1); // the last
        }
      } else if (event.key === "Escape") {
        // A search box clears itself on Escape: the first closes the list, the text stays.
        if (open) {
          event.preventDefault();
          closeResults();
        } else input.value = "";
      }
    });
    input.addEventListener("blur", () => window.setTimeout(closeResults, 150));
    input.addEventListener("focus", () => {
      if (search.results.length && search.query === input.value.trim()) renderResults();
    });
    elements.searchForm.addEventListener("submit", (event) => {
      event.preventDefault();
      submitSearch();
    });
  }

  // --- As of ----------------------------------------------------------------------------

  function setAsOf(value, options) {
    options = options || {};
    const asOf = ISO_DATE.test(value || "") && value < todayIso() ? value : "";
    const changed = asOf !== state.asOf;
    state.asOf = asOf;
    elements.asOfInput.value = asOf;
    elements.asOfClear.hidden = !asOf;
    elements.wrap.classList.toggle("is-past", Boolean(asOf));
    elements.banner.hidden = !asOf;
    elements.banner.textContent = asOf ? named(gettext("The register as it stood on %(date)s"), { date: formatDate(asOf) }) : "";
    if (!changed) return;
    // Suggestions answered for another day: the next search asks again.
    search.query = "";
    search.results = [];
    if (state.tiles && state.tiles._url !== urls.tiles(asOf)) state.tiles.setUrl(urls.tiles(asOf));
    if (state.parcelId !== null && options.reload !== false) {
      const parcel = state.parcel;
      if (asOf && parcel && parcel.valid_from && asOf < parcel.valid_from && state.anchor) {
        // Not made yet on that day: show what was at the same place then.
        openAt(state.anchor, { push: false });
      } else {
        openParcel(state.parcelId, { push: false, anchor: state.anchor, fallbackAt: state.anchor });
      }
    }
    else writeUrl(Boolean(options.push));
  }

  function setupAsOf() {
    elements.asOfInput.max = todayIso();
    elements.asOfInput.addEventListener("change", () => setAsOf(elements.asOfInput.value));
    elements.asOfClear.addEventListener("click", () => {
      setAsOf("");
      elements.asOfInput.focus();
    });
  }

  // --- Legend ---------------------------------------------------------------------------

  function addLegend(map) {
    const groups = Object.keys(GROUP_COLOURS).filter((group) => Object.values(config.landUses).some((use) => use.group === group));
    const Legend = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        const box = h(
          "details",
          { class: "legend leaflet-bar", open: !PHONE_QUERY.matches },
          h("summary", {}, gettext("Legend")),
          h(
            "ul",
            {},
            groups.map((group) => h("li", {}, h("span", { class: "swatch", style: { background: GROUP_COLOURS[group] }, "aria-hidden": "true" }), GROUP_LABELS[group])),
            h("li", {}, h("span", { class: "swatch swatch-line", "aria-hidden": "true" }), gettext("Administrative boundary")),
            h("li", {}, h("span", { class: "swatch swatch-zoning", "aria-hidden": "true" }), gettext("Zoning zone"))
          )
        );
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    new Legend().addTo(map);
  }

  // --- Start ----------------------------------------------------------------------------

  function collectElements() {
    const byId = (id) => document.getElementById(id);
    Object.assign(elements, {
      wrap: byId("map-wrap"),
      hint: byId("map-hint"),
      banner: byId("as-of-banner"),
      message: byId("map-message"),
      sheet: byId("sheet"),
      grip: byId("sheet-grip"),
      title: byId("sheet-title"),
      identifier: byId("sheet-identifier"),
      body: byId("sheet-body"),
      close: byId("sheet-close"),
      searchForm: byId("search-form"),
      searchInput: byId("search-input"),
      results: byId("search-results"),
      searchStatus: byId("search-status"),
      asOfInput: byId("as-of-input"),
      asOfClear: byId("as-of-clear"),
      history: null,
      proofEntries: null,
    });
  }

  function applyUrl(initial) {
    const wanted = readUrl();
    setAsOf(wanted.asOf, { reload: false });
    if (wanted.parcelId !== null && wanted.parcelId !== state.parcelId) {
      openParcel(wanted.parcelId, { fit: !(initial && wanted.view), push: false });
    } else if (wanted.parcelId !== null && !initial) {
      openParcel(wanted.parcelId, { push: false });
    } else if (wanted.parcelId === null && state.parcelId !== null) {
      closeSheet({ push: false });
    }
  }

  window.landinfoMapInit = function (map) {
    collectElements();
    state.map = map;
    map.getContainer().setAttribute("aria-label", gettext("Map of the land register"));
    map.createPane("landinfo-highlight").style.zIndex = 450;
    map.getPane("landinfo-highlight").style.pointerEvents = "none";

    const wanted = readUrl();
    if (wanted.view) map.setView(wanted.view.center, wanted.view.zoom, { animate: false });

    state.asOf = wanted.asOf;
    state.tiles = makeTileLayer();
    // Leaflet prunes the tiles of the previous zoom 250 ms after the new ones are in.
    let tilesLoaded = false;
    let pruned = null;
    state.tiles.on("loading", () => {
      tilesLoaded = false;
      window.clearTimeout(pruned);
    });
    state.tiles.on("load", () => {
      window.clearTimeout(pruned);
      pruned = window.setTimeout(() => (tilesLoaded = true), 300);
    });
    state.tiles.addTo(map);
    addLegend(map);

    let moving = 0;
    map.on("movestart", () => (moving += 1));
    map.on("moveend", () => (moving = Math.max(0, moving - 1)));
    map.on("click", (event) => openAt(event.latlng));
    map.on("zoomend", updateZoomHint);
    map.on("moveend", () => writeUrl(false));
    updateZoomHint();

    elements.close.addEventListener("click", () => closeSheet());
    elements.sheet.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeSheet();
    });
    window.addEventListener("popstate", () => applyUrl(false));
    window.addEventListener("resize", syncSheetHeight);
    setupSheetGrip();
    setupSearch();
    setupAsOf();
    state.asOf = ""; // let setAsOf() below apply the date to the controls
    applyUrl(true);

    window.landinfoMap = map;
    // For the end-to-end tests and the curious: the map, the state, and whether it is
    // still (not moving, every visible tile drawn).
    window.landinfo = {
      map: map,
      state: state,
      openParcel: openParcel,
      openAt: openAt,
      setAsOf: setAsOf,
      readWords: readWords,
      isIdle: () => moving === 0 && !map._animatingZoom && tilesLoaded,
    };
  };
})();
