// Only what htmx cannot do on its own: say when a request failed, and tidy filter URLs.
(function () {
  "use strict";
  var box = null;

  // The messages are the box's data-* attributes, written by base.html in the page's language.
  function show(kind, status) {
    box = box || document.getElementById("request-error");
    if (!box) return;
    box.textContent = (box.dataset[kind] || "").replace("%(status)s", String(status));
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
  // A request nobody asked for (the header's count of news, fetched once the page has loaded) fails
  // quietly: a missing count is better than an alarm about an action the reader did not take.
  function quiet(event) {
    var elt = event.detail && event.detail.elt;
    return Boolean(elt && elt.closest && elt.closest("[data-quiet-errors]"));
  }

  document.addEventListener("htmx:responseError", function (event) {
    if (quiet(event)) return;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) {
      show("forbidden", status);
    } else {
      show("failed", status);
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
  document.addEventListener("htmx:sendError", function (event) {
    if (quiet(event)) return;
    show("unreachable", 0);
  });
})();
