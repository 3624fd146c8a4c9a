// Small enhancements for Tenantry's pages; everything works without them.
// Menus built on <details> close on Escape (returning focus) and on a click elsewhere.
(function () {
  "use strict";
  function openMenus() {
    return document.querySelectorAll("details.menu[open]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    openMenus().forEach(function (menu) {
      menu.open = false;
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });
  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
})();

// The section navigation is a column on wide screens and a closed menu on a phone.
(function () {
  "use strict";
  var phone = window.matchMedia("(max-width: 48rem)");
  function fit() {
    document.querySelectorAll("details.sidenav-menu").forEach(function (menu) {
      menu.open = !phone.matches;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fit); else fit();
  phone.addEventListener("change", fit);
})();

// My settings: copy buttons. `data-copy` names the field to copy, `data-copy-status` the live
// region that says what happened. The buttons stay hidden without script (the field can still be
// selected and copied by hand).
(function () {
  "use strict";
  function setup() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = document.getElementById(button.getAttribute("data-copy-status") || "");
      if (!field) return;
      button.hidden = false;
      function say(text) {
        if (!status) return;
        status.textContent = "";
        window.setTimeout(function () { status.textContent = text; }, 50);
      }
      function byHand() {
        field.focus();
        field.select();
        var copied = false;
        try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
        say(copied ? "Copied to the clipboard." : "Press Ctrl+C (or ⌘C) to copy the selected key.");
      }
      button.addEventListener("click", function () {
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(function () { say("Copied to the clipboard."); }, byHand);
        } else {
          byHand();
        }
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup); else setup();
})();

// Filters sent by htmx leave out empty fields, so the address bar reads "?q=brun", not "?q=brun&status=".
document.addEventListener("htmx:configRequest", function (event) {
  "use strict";
  if (event.detail.verb !== "get") return;
  var params = event.detail.parameters;
  var keys = typeof params.keys === "function" ? Array.from(params.keys()) : Object.keys(params);
  keys.forEach(function (key) {
    var value = typeof params.get === "function" ? params.get(key) : params[key];
    if (value === "") {
      if (typeof params.delete === "function") params.delete(key); else delete params[key];
    }
  });
});

// Users lobby: "Select all on this page" ticks every row's box (rows swapped in by the filter too).
(function () {
  "use strict";
  function setup() {
    document.querySelectorAll("[data-select-all]").forEach(function (all) {
      var label = all.closest("label");
      if (label) label.hidden = false;
      all.addEventListener("change", function () {
        document.querySelectorAll('input[name="ids"][form="users-bulk"]').forEach(function (box) { box.checked = all.checked; });
      });
    });
    document.addEventListener("htmx:afterSwap", function () {
      document.querySelectorAll("[data-select-all]").forEach(function (all) { all.checked = false; });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup); else setup();
})();

// Account settings › Contact fields: the Options box shows only for the choice types (hidden, it
// is disabled so nothing is sent); custom fields can be dragged into a new order, which posts the
// same form as the "Up" and "Down" buttons (those stay for keyboards and for pages without script).
(function () {
  "use strict";
  function setupOptions() {
    document.querySelectorAll("select[data-options-for]").forEach(function (select) {
      var box = document.getElementById(select.getAttribute("data-options-for"));
      if (!box) return;
      var area = box.querySelector("textarea");
      function fit() {
        var chosen = select.options[select.selectedIndex];
        var show = !!(chosen && chosen.hasAttribute("data-has-options"));
        box.hidden = !show;
        if (area) area.disabled = !show;
      }
      select.addEventListener("change", fit);
      fit();
    });
  }
  function post(id, position) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/account/contact-fields/" + encodeURIComponent(id) + "/move";
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "position";
    input.value = String(position);
    form.appendChild(input);
    document.body.appendChild(form);
    form.submit();
  }
  function setupDrag() {
    var list = document.getElementById("custom-fields");
    if (!list) return;
    var rows = function () { return Array.prototype.slice.call(list.querySelectorAll("li[data-field-id]")); };
    var first = Math.min.apply(null, rows().map(function (r) { return Number(r.getAttribute("data-position")); }));
    var dragged = null, home = null, dropped = false;
    rows().forEach(function (row) {
      row.draggable = true;
      var handle = row.querySelector(".cf-handle");
      if (handle) handle.hidden = false;
      row.addEventListener("dragstart", function (event) {
        dragged = row; home = row.nextSibling; dropped = false;
        row.classList.add("cf-dragging");
        if (event.dataTransfer) {
          event.dataTransfer.effectAllowed = "move";
          try { event.dataTransfer.setData("text/plain", row.getAttribute("data-field-id")); } catch (e) { /* older browsers */ }
        }
      });
      row.addEventListener("dragend", function () {
        row.classList.remove("cf-dragging");
        // Dropped outside the list: put the row back where it was.
        if (!dropped && dragged) list.insertBefore(dragged, home);
        dragged = null;
      });
    });
    list.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var target = event.target.closest ? event.target.closest("li[data-field-id]") : null;
      if (!target || target === dragged) return;
      var box = target.getBoundingClientRect();
      list.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? target.nextSibling : target);
    });
    list.addEventListener("drop", function (event) {
      if (!dragged) return;
      event.preventDefault();
      dropped = true;
      var row = dragged;
      var position = first + rows().indexOf(row);
      if (position !== Number(row.getAttribute("data-position"))) post(row.getAttribute("data-field-id"), position);
    });
  }
  function setup() { setupOptions(); setupDrag(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup); else setup();
})();
