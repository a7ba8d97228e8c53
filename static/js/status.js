/* Status page: keep the status block up to date while the credential check runs.
   Polls the partial every 2 s as long as it says data-pending="true", swaps it in when it
   changed (so screen readers hear each change once, through aria-live), and stops when the
   check is done. A file of its own because the CSP allows no inline script. */
(function () {
  "use strict";

  var INTERVAL = 2000;
  var SLOW_INTERVAL = 10000;  // after SLOW_AFTER polls: a check waiting for Loket.nl or the broker
  var SLOW_AFTER = 150;       // 5 minutes at 2 s
  var MAX_INTERVAL = 30000;
  var polls = 0;
  var region = document.getElementById("status-region");
  if (!region || !window.fetch) {
    return;
  }
  var url = region.getAttribute("data-partial-url");
  var delay = INTERVAL;

  function pending() {
    var box = region.querySelector("[data-pending]");
    return box !== null && box.getAttribute("data-pending") === "true";
  }

  // The check passed while the page was open: fold the correction form away, as the server
  // does on a fresh page (templates/onboarding/status.html).
  function foldCorrection() {
    var box = region.querySelector("[data-check-passed]");
    var correction = document.getElementById("correction");
    if (box && correction && box.getAttribute("data-check-passed") === "true") {
      correction.open = false;
    }
  }

  function schedule() {
    if (pending()) {
      window.setTimeout(poll, delay);
    }
  }

  function poll() {
    window.fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (response.status === 404) {
        return null;  // the registration is gone: nothing left to follow
      }
      if (!response.ok) {
        throw new Error("status " + response.status);
      }
      return response.text();
    }).then(function (html) {
      if (html === null) {
        return;
      }
      polls += 1;
      delay = polls > SLOW_AFTER ? SLOW_INTERVAL : INTERVAL;
      // Server-rendered and auto-escaped, from this origin. Parsed apart first so that an
      // unchanged block is not swapped (and not announced) again.
      var fresh = document.createElement("div");
      fresh.innerHTML = html;
      if (fresh.innerHTML !== region.innerHTML) {
        region.innerHTML = fresh.innerHTML;
        foldCorrection();
      }
      schedule();
    }).catch(function () {
      // Network trouble or a server error: keep trying, more slowly.
      delay = Math.min(delay * 2, MAX_INTERVAL);
      schedule();
    });
  }

  schedule();
}());
