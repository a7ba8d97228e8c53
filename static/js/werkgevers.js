/* The Werkgevers page: one checkbox above the table selects or clears every employer on this
   page. Progressive enhancement: without JavaScript each row is ticked on its own; the box
   exists only when this script runs, and it has no name, so it is never submitted. Its label
   comes from the form's data-select-page-label (translated by the server). A file of its own
   because the CSP allows no inline script. */
(function () {
  "use strict";

  function enhance(form) {
    var boxes = Array.prototype.slice.call(
      form.querySelectorAll('input[type="checkbox"][name="employer_id"]')
    );
    var text = form.getAttribute("data-select-page-label");
    if (!boxes.length || !text) {
      return;
    }
    var wrapper = document.createElement("p");
    wrapper.className = "werkgevers-select-page";
    var all = document.createElement("input");
    all.type = "checkbox";
    all.id = "werkgevers-select-page";
    var label = document.createElement("label");
    label.htmlFor = all.id;
    label.textContent = text;
    wrapper.appendChild(all);
    wrapper.appendChild(label);
    var table = form.querySelector(".table-scroll") || form.firstChild;
    form.insertBefore(wrapper, table);

    function sync() {
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }

    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      sync();
    });
    boxes.forEach(function (box) { box.addEventListener("change", sync); });
    sync();
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.werkgevers-form"), enhance);
})();
