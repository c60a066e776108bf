// A classic script, run before the modules: should a module fail to load or throw, the page shows
// what happened instead of going blank. Nothing here may depend on the modules.
(function () {
  "use strict";

  function showCrash(detail) {
    var panel = document.getElementById("crash");
    var text = document.getElementById("crash-detail");
    if (!panel || !text) {
      return;
    }
    text.textContent = detail;
    panel.hidden = false;
  }

  window.addEventListener("error", function (event) {
    var target = event.target;
    if (target && target !== window) {
      // A resource failed to load. Without a script or the stylesheet the console cannot work;
      // anything else (an image) is not worth stopping for.
      if (target.tagName === "SCRIPT" || target.tagName === "LINK") {
        showCrash("A file of the console could not be loaded (" + (target.src || target.href) + ").");
      }
      return;
    }
    showCrash(event.message || "An unexpected error occurred.");
  }, true);

  window.addEventListener("unhandledrejection", function (event) {
    var reason = event.reason;
    showCrash((reason && reason.message) || String(reason) || "An unexpected error occurred.");
  });

  // The app marks the page as started; if it never does, say so rather than leave "Loading…".
  window.setTimeout(function () {
    if (!document.documentElement.hasAttribute("data-started")) {
      showCrash("The console did not start. Your browser may be too old, or a file failed to load.");
    }
  }, 10000);
})();
