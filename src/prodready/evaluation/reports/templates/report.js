// Sorting and filtering for the failing-cases table. The page works without it.
(function () {
  "use strict";
  const table = document.getElementById("failing-table");
  if (!table || !table.tHead || !table.tBodies.length) {
    return;
  }
  const body = table.tBodies[0];
  const headers = Array.from(table.tHead.rows[0].cells);
  const rows = () => Array.from(body.rows);

  function key(row, index, numeric) {
    const cell = row.cells[index];
    const raw = cell ? (cell.getAttribute("data-value") ?? cell.textContent) : "";
    if (!numeric) {
      return raw.trim().toLowerCase();
    }
    const n = parseFloat(raw);
    return Number.isNaN(n) ? -Infinity : n;
  }

  function sortBy(th, index) {
    const numeric = th.getAttribute("data-sort") === "number";
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    headers.forEach((h) => h.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const sorted = rows().sort((a, b) => {
      const x = key(a, index, numeric);
      const y = key(b, index, numeric);
      const order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    sorted.forEach((row) => body.appendChild(row));
  }

  headers.forEach((th, index) => {
    if (!th.hasAttribute("data-sort")) {
      return;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", () => sortBy(th, index));
  });

  const box = document.getElementById("failing-filter");
  const input = box ? box.querySelector("input") : null;
  const count = document.getElementById("failing-shown");
  if (!box || !input || !count) {
    return;
  }
  box.hidden = false;
  input.addEventListener("input", () => {
    const query = input.value.trim().toLowerCase();
    let shown = 0;
    rows().forEach((row) => {
      const hit = !query || row.textContent.toLowerCase().includes(query);
      row.hidden = !hit;
      shown += hit ? 1 : 0;
    });
    count.textContent = query ? `${shown} of ${body.rows.length} shown` : "";
  });
})();
