// Only what htmx cannot do on its own: say when a request failed, and tidy filter URLs.
(function () {
  "use strict";
  var box = null;

  function show(message) {
    box = box || document.getElementById("request-error");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  function hide() {
    if (box) box.hidden = true;
  }

  document.addEventListener("htmx:beforeRequest", hide);

  // Keep pushed URLs short and shareable: leave out filters left empty (an empty search, default sort).
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") return;
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (name) {
      if (params[name] === "") delete params[name];
    });
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) {
      show("You do not have permission to do that.");
    } else {
      show("The server could not complete the request (error " + status + "). Please try again; nothing was changed.");
    }
  });
  // New results after "Apply" (a submit) or a page link: focus their heading, so keyboard and screen
  // reader users start reading them there (the live region #result-count announces the count).
  // A change to a checkbox or the search box keeps the focus where it is: the person is still choosing.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "results") return;
    var config = event.detail.requestConfig || {};
    var trigger = config.triggeringEvent;
    var fromSubmit = trigger && trigger.type === "submit";
    var fromLink = config.elt && config.elt.tagName === "A";
    if (!fromSubmit && !fromLink) return;
    var heading = document.getElementById("results-heading");
    if (heading) heading.focus();
  });
  document.addEventListener("htmx:sendError", function () {
    show("The server could not be reached. Check your connection and try again.");
  });
})();
