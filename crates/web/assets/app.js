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
