/* Every page: the language switcher submits on change and comes back to the same view. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  const form = document.querySelector("form.language");
  if (!form) return;
  const select = form.querySelector("select");
  const next = form.querySelector("input[name=next]");
  // The map keeps its state in the query and the hash; both must survive the round trip.
  const currentUrl = () => window.location.pathname + window.location.search + window.location.hash;
  form.addEventListener("submit", function () {
    next.value = currentUrl();
  });
  select.addEventListener("change", function () {
    next.value = currentUrl();
    form.requestSubmit ? form.requestSubmit() : form.submit();
  });
})();
/* Every page: messages ("Entry #12 recorded") can be dismissed. */
(function () {
  "use strict";
  document.querySelectorAll(".messages .message").forEach(function (message) {
    const close = message.querySelector(".message-close");
    if (!close) return;
    close.hidden = false;
    close.addEventListener("click", function () {
      const box = message.parentElement;
      message.remove();
      if (box && !box.querySelector(".message")) box.remove();
    });
  });
})();
/* Every page: a button that copies a secret shown once (a key, a code) to the clipboard.
   The text copied is the element's data-secret when it has one (the key without the spaces
   it is shown with), else its text. Without a clipboard (plain HTTP), the button stays
   hidden and the text is selected by a click, as before. */
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    const target = document.getElementById(button.dataset.copy);
    if (!target) return;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      const text = target.dataset.secret || target.textContent.trim();
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = button.dataset.copied || label;
        window.setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
})();
/* Every page: figures as the register prints them (landinfo/formats.py and dates.py, one
   rule each): the profile's and the page language's day, number, area and money formats,
   read from the page (#landinfo-formats). window.LandInfoFormats is what map.js and the
   other pages' scripts call; nothing here guesses a format from the browser's locale. */
(function () {
  "use strict";
  const source = document.getElementById("landinfo-formats");
  const formats = source ? JSON.parse(source.textContent) : {
    day: "{y:04d}-{m:02d}-{d:02d}", thousands: ",", decimal: ".", areaUnit: "m²", area: "{number} {unit}",
    areaDecimals: 1, percent: "{number} %", amount: { "*": "{code} {number}" }, perArea: "{amount}/{unit}",
    currency: "", timeZone: "UTC",
  };
  const NONE = "—";
  // Python's "{name}" and "{name:0Nd}" (zero-padded to N digits), as the server's formats say.
  const fill = (template, values) => template.replace(/\{(\w+)(?::0(\d)d)?\}/g, (whole, name, width) => {
    const value = values[name];
    return width ? String(value).padStart(Number(width), "0") : String(value);
  });
  const isFigure = (value) => value !== null && value !== undefined && value !== "" && isFinite(Number(value));

  /** Return `value` rounded half away from zero to `decimals`, its digits grouped. */
  function number(value, decimals) {
    if (!isFigure(value)) return NONE;
    const places = decimals || 0;
    const scaled = Math.round(Math.abs(Number(value)) * 10 ** places + 1e-9) / 10 ** places;
    const [whole, fraction] = scaled.toFixed(places).split(".");
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, formats.thousands);
    const sign = Number(value) < 0 && scaled !== 0 ? "-" : "";
    return sign + grouped + (fraction ? formats.decimal + fraction : "");
  }
  function area(value) {
    return isFigure(value) ? fill(formats.area, { number: number(value, formats.areaDecimals), unit: formats.areaUnit }) : NONE;
  }
  function amount(value, currency) {
    if (!isFigure(value)) return NONE;
    const code = currency || formats.currency;
    return fill(formats.amount[code] || formats.amount["*"], { number: number(value, 0), code: code });
  }
  function price(value, currency) {
    return isFigure(value) ? fill(formats.perArea, { amount: amount(value, currency), unit: formats.areaUnit }) : NONE;
  }
  function percent(fraction, decimals) {
    return isFigure(fraction) ? fill(formats.percent, { number: number(Number(fraction) * 100, decimals === undefined ? 1 : decimals) }) : NONE;
  }
  /** Return a day written YYYY-MM-DD as the page's language writes days; other text as it is. */
  function day(text) {
    if (!text) return "";
    const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
    if (!match) return text;
    if (text.length > 10) return day(isoDay(new Date(text)));
    return fill(formats.day, { y: Number(match[1]), m: Number(match[2]), d: Number(match[3]) });
  }
  const zoneParts = new Intl.DateTimeFormat("en", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: formats.timeZone,
  });
  function parts(date) {
    return Object.fromEntries(zoneParts.formatToParts(date).map((part) => [part.type, part.value]));
  }
  /** Return a moment's day in the register's time zone, YYYY-MM-DD. */
  function isoDay(date) {
    if (isNaN(date)) return "";
    const p = parts(date);
    return p.year + "-" + p.month + "-" + p.day;
  }
  /** Return a moment (ISO 8601) as its day and time in the register's zone, naming the zone. */
  function moment(text) {
    const date = new Date(text);
    if (isNaN(date)) return text;
    const p = parts(date);
    return day(isoDay(date)) + " " + p.hour + ":" + p.minute + " (" + formats.timeZone + ")";
  }
  window.LandInfoFormats = { number, area, amount, price, percent, day, moment, isoDay, areaUnit: formats.areaUnit, timeZone: formats.timeZone };
})();

/* Pages with a map: Leaflet's own controls speak the page's language. Its zoom buttons
 * are titled "Zoom in"/"Zoom out" in English (their title and aria-label); the defaults
 * are set before django-leaflet makes the map, on the window's load event. */
(function () {
  "use strict";
  if (!window.L || !L.Control || !L.Control.Zoom || typeof window.gettext !== "function") return;
  L.Control.Zoom.mergeOptions({
    zoomInTitle: gettext("Zoom in"),
    zoomOutTitle: gettext("Zoom out"),
  });
})();
