/* Netzwerk – small enhancements of every page (loaded by base.html).
 *
 * 1. Tables keep their headers on narrow screens: every cell of a
 *    table.table gets data-label="<its column's header>", and the table the
 *    class "table-cards"; app.css then shows each row as a card below
 *    37.5rem, each cell introduced by its header (td::before).  A table not
 *    yet inside a .table-scroll wrapper gets one (keyboard focusable).
 *    Without JavaScript nothing of this happens and tables simply scroll
 *    sideways.
 * 2. The navigation collapses behind a disclosure button on narrow screens
 *    (aria-expanded/aria-controls).  Without JavaScript the button stays
 *    hidden and the menu open.
 *
 * No inline scripts or styles (the Content-Security-Policy forbids them).
 */
(function () {
  "use strict";

  function text(cell) {
    return (cell.textContent || "").replace(/\s+/g, " ").trim();
  }

  /* The header text of each column, from the thead's grid (colspan and
     rowspan respected; a lower header row names a column more precisely). */
  function columnLabels(table) {
    var head = table.tHead;
    if (!head || !head.rows.length) return null;
    var grid = [];
    for (var r = 0; r < head.rows.length; r++) {
      grid[r] = grid[r] || [];
      var col = 0;
      var cells = head.rows[r].cells;
      for (var c = 0; c < cells.length; c++) {
        while (grid[r][col] !== undefined) col++;
        var label = text(cells[c]);
        for (var dr = 0; dr < (cells[c].rowSpan || 1); dr++) {
          grid[r + dr] = grid[r + dr] || [];
          for (var dc = 0; dc < (cells[c].colSpan || 1); dc++) {
            grid[r + dr][col + dc] = label;
          }
        }
        col += cells[c].colSpan || 1;
      }
    }
    return grid[head.rows.length - 1] || null;
  }

  function labelTable(table) {
    var labels = columnLabels(table);
    if (!labels || !labels.length) return;
    var sections = Array.prototype.slice.call(table.tBodies);
    if (table.tFoot) sections.push(table.tFoot);
    sections.forEach(function (section) {
      Array.prototype.forEach.call(section.rows, function (row) {
        var col = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var span = cell.colSpan || 1;
          if (span >= labels.length) {
            cell.classList.add("cell-full"); // "Nothing yet." and the like
          } else if (!cell.hasAttribute("data-label") && labels[col]) {
            cell.setAttribute("data-label", labels[col]);
          }
          // A card leaves out what a table shows as an empty cell.
          var empty = !text(cell) && !cell.querySelector("input, select, textarea, button, img, svg, a");
          cell.classList.toggle("cell-empty", empty);
          col += span;
        });
      });
    });
    keepTableRoles(table);
    table.classList.add("table-cards");
  }

  /* As cards the table's parts are display: block, which makes some screen
     readers forget that it is a table: say so explicitly. */
  function keepTableRoles(table) {
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.querySelectorAll(":scope > thead, :scope > tbody, :scope > tfoot"), function (group) {
      group.setAttribute("role", "rowgroup");
    });
    Array.prototype.forEach.call(table.rows, function (row) {
      row.setAttribute("role", "row");
      Array.prototype.forEach.call(row.cells, function (cell) {
        if (cell.hasAttribute("role")) return;
        var inHead = row.parentElement && row.parentElement.tagName === "THEAD";
        if (cell.tagName === "TD") cell.setAttribute("role", "cell");
        else cell.setAttribute("role", inHead || cell.scope === "col" ? "columnheader" : "rowheader");
      });
    });
  }

  function wrapTable(table) {
    var parent = table.parentElement;
    if (!parent || parent.classList.contains("table-scroll")) return;
    var wrapper = document.createElement("div");
    wrapper.className = "table-scroll";
    wrapper.tabIndex = 0;
    parent.insertBefore(wrapper, table);
    wrapper.appendChild(table);
  }

  function enhanceTables(root) {
    var tables = (root || document).querySelectorAll("table.table");
    Array.prototype.forEach.call(tables, function (table) {
      if (table.hasAttribute("data-no-cards")) return;
      wrapTable(table);
      labelTable(table);
    });
  }

  function enhanceNavigation() {
    var button = document.querySelector(".nav-toggle[aria-controls]");
    if (!button) return;
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    var header = button.closest(".site-header");
    if (!menu || !header) return;
    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("is-collapsed", !open);
    }
    setOpen(false);
    header.classList.add("js-nav");
    button.hidden = false;
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    menu.addEventListener("keydown", function (event) {
      var visible = button.offsetParent !== null;
      if (event.key === "Escape" && visible && button.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        button.focus();
      }
    });
  }

  function start() {
    enhanceNavigation();
    enhanceTables(document);
    // Live pages (the meeting cockpit) replace parts of the page: label the
    // tables that arrive later too.  Labelling is idempotent.
    if ("MutationObserver" in window) {
      var pending = false;
      new MutationObserver(function () {
        if (pending) return;
        pending = true;
        window.requestAnimationFrame(function () {
          pending = false;
          enhanceTables(document);
        });
      }).observe(document.body, { childList: true, subtree: true });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
