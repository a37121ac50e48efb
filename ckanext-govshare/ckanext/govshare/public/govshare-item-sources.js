/* 一数一源 while compiling: as the compiler types an information item's name in the entry
   form (scheming's info_items, rows added on the fly included), ask the action API who
   already provides it (govshare_info_item_sources: registered entries the user may see, and
   the designated source department) and say so under the field. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var api = script.getAttribute("data-api");
  var own = script.getAttribute("data-package-id") || "";
  var labels = JSON.parse(script.getAttribute("data-labels") || "{}");
  var NAME = /^info_items-\d+-name$/;
  var timers = {};

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) { node.className = className; }
    return node;
  }

  function hintFor(input) {
    var hint = input.parentNode.querySelector(".govshare-item-hint");
    if (!hint) {
      hint = document.createElement("div");
      hint.className = "govshare-item-hint alert alert-info small mt-1 mb-0";
      hint.setAttribute("role", "status");
      hint.setAttribute("aria-live", "polite");
      input.parentNode.appendChild(hint);
    }
    return hint;
  }

  function show(input, found) {
    var entries = (found.entries || []).filter(function (e) { return e.id !== own; });
    var hint = input.parentNode.querySelector(".govshare-item-hint");
    if (!entries.length && !found.source) {
      if (hint) { hint.remove(); }
      return;
    }
    hint = hintFor(input);
    hint.textContent = "";
    hint.setAttribute("data-item", found.key || "");
    if (entries.length) {
      hint.appendChild(text("strong", labels.provided + " "));
      entries.forEach(function (entry, i) {
        var link = text("a", entry.title);
        link.href = labels.dataset_url.replace("__NAME__", encodeURIComponent(entry.name));
        link.target = "_blank";
        if (i) { hint.appendChild(document.createTextNode("、")); }
        hint.appendChild(link);
        if (entry.item_name && entry.item_name !== input.value.trim()) {
          hint.appendChild(document.createTextNode("（" + entry.item_name + "）"));
        }
      });
      var departments = (found.departments || []).map(function (d) { return d.title; });
      if (departments.length) {
        hint.appendChild(document.createTextNode(" — " + departments.join("、")));
      }
    }
    if (found.source) {
      hint.appendChild(text("div", labels.source + " " + found.source.title,
                            "govshare-item-hint-source"));
    }
    hint.appendChild(text("div", labels.advice, "text-muted"));
  }

  function ask(input) {
    var name = input.value.trim();
    if (!name) {
      var hint = input.parentNode.querySelector(".govshare-item-hint");
      if (hint) { hint.remove(); }
      return;
    }
    fetch(api + "?name=" + encodeURIComponent(name), {credentials: "same-origin",
                                                      headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.success && input.value.trim() === name) { show(input, body.result); }
      })
      .catch(function () { /* a hint, not a check: the page works without it */ });
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.name || !NAME.test(input.name)) { return; }
    clearTimeout(timers[input.name]);
    timers[input.name] = setTimeout(function () { ask(input); }, 300);
  });
})();
