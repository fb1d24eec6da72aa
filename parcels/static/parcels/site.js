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
