// Sending progress: while emails wait to be sent, fetch this page again every few seconds and
// put its counts in place of the old ones. Without script, the "Update the counts" button does
// the same. The page is never reloaded, so focus and the reading position stay where they are,
// and screen readers hear only the one summary sentence (role="status"), when it changes.
// Once the session has ended (401), that sentence says so and the page stops asking.
(function () {
  "use strict";
  var region = document.querySelector("[data-progress]");
  if (!region || !window.fetch || !window.DOMParser) { return; }
  var DELAY = 5000;

  function update() {
    fetch(window.location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { return null; }
        return response.ok ? response.text() : Promise.reject();
      })
      .then(function (html) {
        var summary = region.querySelector("[data-summary]");
        if (html === null) {
          summary.textContent = region.dataset.signedOut;
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-progress]");
        if (!fresh) { return; }
        var freshSummary = fresh.querySelector("[data-summary]");
        region.querySelector(".progress-counts").replaceWith(fresh.querySelector(".progress-counts"));
        var bar = region.querySelector("progress");
        var freshBar = fresh.querySelector("progress");
        if (bar && freshBar) { bar.replaceWith(freshBar); }
        // Changing the text of the live region, not replacing it, is what gets announced.
        if (summary.textContent !== freshSummary.textContent) {
          summary.textContent = freshSummary.textContent;
        }
        region.dataset.pending = fresh.dataset.pending;
        if (fresh.dataset.pending === "1") { window.setTimeout(update, DELAY); }
      })
      .catch(function () { window.setTimeout(update, DELAY * 2); });
  }

  if (region.dataset.pending === "1") { window.setTimeout(update, DELAY); }
})();
