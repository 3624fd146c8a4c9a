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
