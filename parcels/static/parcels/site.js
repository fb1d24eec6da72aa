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
