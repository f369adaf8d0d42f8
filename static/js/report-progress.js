// The report page while the worker compiles: the progress bar and its sentence follow
// the worker, and the page reloads once the report is ready or has failed. Without
// JavaScript the page says how far it had come and offers a link to refresh it.
(function () {
  "use strict";
  var section = document.querySelector("[data-report-progress]");
  if (!section || !window.fetch) return;
  var bar = document.getElementById("report-progress");
  var text = document.getElementById("report-progress-text");
  var url = section.getAttribute("data-report-progress");
  var lastSaid = text.textContent;

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) return setTimeout(poll, 5000);
        if (state.status === "done" || state.status === "failed") {
          window.location.reload();
          return;
        }
        bar.value = state.percent;
        bar.textContent = state.percent + " %";
        if (state.says !== lastSaid) {  // the live region speaks only when it changes
          text.textContent = state.says;
          lastSaid = state.says;
        }
        setTimeout(poll, 1500);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1500);
})();
