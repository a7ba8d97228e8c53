/* The request form's processor select: a search box above it filters the options by name as
   one types. Progressive enhancement: without JavaScript the plain select (sorted by name)
   works on its own; the search box exists only when this script runs, and it has no name, so
   it is never submitted. A file of its own because the CSP allows no inline script. */
(function () {
  "use strict";

  function fold(text) {
    // Case- and accent-insensitive: "cafe" finds "Café".
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  function enhance(select) {
    var placeholder = null;
    var all = [];
    Array.prototype.forEach.call(select.options, function (option) {
      if (option.value === "") {
        placeholder = option;
      } else {
        all.push({ option: option, key: fold(option.textContent) });
      }
    });

    var wrapper = document.createElement("div");
    wrapper.className = "processor-search";
    var label = document.createElement("label");
    var input = document.createElement("input");
    var status = document.createElement("p");
    input.type = "search";
    input.id = select.id + "_search";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("aria-controls", select.id);
    input.setAttribute("aria-describedby", input.id + "_status");
    label.htmlFor = input.id;
    label.textContent = select.getAttribute("data-search-label") || "";
    status.id = input.id + "_status";
    status.className = "processor-search-status";
    status.setAttribute("aria-live", "polite");
    wrapper.appendChild(label);
    wrapper.appendChild(input);
    wrapper.appendChild(status);
    select.parentNode.insertBefore(wrapper, select);

    function describe(count, query) {
      if (query === "") {
        return "";
      }
      if (count === 0) {
        return select.getAttribute("data-search-none") || "";
      }
      if (count === 1) {
        return select.getAttribute("data-search-one") || "";
      }
      return (select.getAttribute("data-search-count") || "").replace("%(count)s", String(count));
    }

    function filter() {
      var query = fold(input.value);
      var chosen = select.value;
      var matches = all.filter(function (item) {
        return query === "" || item.key.indexOf(query) !== -1;
      });
      // Rebuild the list (hiding <option>s does not work in every browser).
      while (select.options.length) {
        select.remove(0);
      }
      if (placeholder) {
        select.add(placeholder);
      }
      matches.forEach(function (item) {
        select.add(item.option);
      });
      var stillThere = matches.some(function (item) { return item.option.value === chosen; });
      if (stillThere) {
        select.value = chosen;
      } else if (matches.length === 1) {
        select.value = matches[0].option.value;
      } else {
        select.value = "";
      }
      status.textContent = describe(matches.length, query);
    }

    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (event) {
      // Enter in the search box picks, it does not send the form half filled in.
      if (event.key === "Enter") {
        event.preventDefault();
        select.focus();
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("select[data-processor-search]"), enhance);
})();
