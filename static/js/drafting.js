// The drafting page: turn a mouse (or shift+arrow) selection in the source text into offsets of the
// stored text, and ask the server to show that passage. The server cuts the quote from its own copy
// of the text by these offsets: the words selected are never sent.
(function () {
  "use strict";

  // The first (or last) text node inside `node`, or null.
  function edgeText(node, last) {
    if (node.nodeType === Node.TEXT_NODE) return node;
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    var found = null;
    var current = walker.nextNode();
    while (current) {
      found = current;
      if (!last) break;
      current = walker.nextNode();
    }
    return found;
  }

  // The offset in the stored text of a selection boundary (node, offset), or null outside the text.
  // Each stretch of the text is an element with data-start: its offset in the stored text.
  function textOffset(box, node, offset) {
    if (node.nodeType !== Node.TEXT_NODE) {
      var children = node.childNodes;
      if (offset < children.length) {
        node = edgeText(children[offset], false);
        offset = 0;
      } else {
        node = edgeText(node, true);
        offset = node ? node.data.length : 0;
      }
      if (!node) return null;
    }
    var piece = node.parentElement && node.parentElement.closest("[data-start]");
    if (!piece || !box.contains(piece)) return null;
    return parseInt(piece.getAttribute("data-start"), 10) + offset;
  }

  function chosenRange(box) {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    var start = textOffset(box, range.startContainer, range.startOffset);
    var end = textOffset(box, range.endContainer, range.endOffset);
    if (start === null || end === null || end <= start) return null;
    return { start: start, end: end };
  }

  function choose() {
    var box = document.getElementById("draft-text");
    if (!box) return;
    var range = chosenRange(box);
    if (!range) return;
    var url = box.getAttribute("data-choose-url") + "?start=" + range.start + "&end=" + range.end;
    if (window.htmx) {
      window.htmx
        .ajax("GET", url, { target: "#draft-workspace", swap: "outerHTML" })
        .then(function () {
          window.history.pushState({}, "", url);
          var panel = document.getElementById("draft-choice");
          if (panel) panel.focus({ preventScroll: true });
        });
    } else {
      window.location.assign(url + "#draft-choice");
    }
  }

  function insideText(event) {
    return event.target instanceof Element && event.target.closest("#draft-text");
  }

  // Delegated: the text is swapped in and out as passages are chosen.
  document.addEventListener("mouseup", function (event) {
    if (insideText(event)) window.setTimeout(choose, 0);
  });
  document.addEventListener("keyup", function (event) {
    // Shift+arrows extend a selection made in the text (caret browsing): choose() ignores any other.
    if (event.shiftKey && event.key.indexOf("Arrow") === 0) choose();
  });
})();
