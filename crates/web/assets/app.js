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
