// prodready dashboard: progressive enhancement only. Every page works without this file;
// it adds the theme switch, keyboard shortcuts, clickable rows and auto-submitting pickers.
// Loaded as a module from 'self' (the Content-Security-Policy allows nothing inline).

const THEMES = ["auto", "light", "dark"];

function setTheme(next) {
  document.documentElement.dataset.theme = next;
  document.cookie = `prodready_theme=${next}; path=/; max-age=31536000; samesite=lax`;
  const button = document.getElementById("theme-toggle");
  if (button) button.title = `Theme: ${next} (T)`;
}

function cycleTheme() {
  const now = document.documentElement.dataset.theme || "auto";
  setTheme(THEMES[(THEMES.indexOf(now) + 1) % THEMES.length]);
}

function typing(event) {
  const t = event.target;
  return t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName));
}

function rows() {
  return Array.from(document.querySelectorAll("[data-rows] [data-href]"));
}

let selected = -1;
function select(index) {
  const all = rows();
  if (!all.length) return;
  selected = Math.max(0, Math.min(all.length - 1, index));
  all.forEach((row, i) => row.classList.toggle("row-selected", i === selected));
  all[selected].scrollIntoView({ block: "nearest" });
  const link = all[selected].querySelector("a");
  if (link) link.focus({ preventScroll: true });
}

let pendingG = 0;
function onKey(event) {
  if (event.defaultPrevented || event.metaKey || event.ctrlKey || event.altKey) return;
  if (event.key === "Escape" && typing(event)) { event.target.blur(); return; }
  if (typing(event)) return;
  const now = Date.now();
  if (pendingG && now - pendingG < 1200) {
    pendingG = 0;
    const link = document.querySelector(`.nav a[data-key="${CSS.escape(event.key)}"]`);
    if (link) { event.preventDefault(); window.location.assign(link.href); }
    return;
  }
  switch (event.key) {
    case "g": pendingG = now; break;
    case "/": {
      const field = document.querySelector("[data-search]") || document.querySelector("main input:not([type=hidden]), main select");
      if (field) { event.preventDefault(); field.focus(); }
      break;
    }
    case "j": select(selected + 1); break;
    case "k": select(selected - 1); break;
    case "Enter": {
      const all = rows();
      if (selected >= 0 && all[selected] && document.activeElement?.tagName !== "A") {
        window.location.assign(all[selected].dataset.href);
      }
      break;
    }
    case "[": document.querySelector('[data-pager="prev"]')?.click(); break;
    case "]": document.querySelector('[data-pager="next"]')?.click(); break;
    case "T": cycleTheme(); break;
    case "?": document.getElementById("help")?.showModal(); break;
    default: break;
  }
}

function init() {
  document.getElementById("theme-toggle")?.addEventListener("click", cycleTheme);
  document.getElementById("help-open")?.addEventListener("click", () => document.getElementById("help")?.showModal());
  document.addEventListener("keydown", onKey);
  // A click anywhere on a row opens it (links and buttons inside keep their own meaning).
  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element) || target.closest("a, button, input, select, textarea, summary, label")) return;
    const row = target.closest("[data-rows] [data-href]");
    if (row) window.location.assign(row.getAttribute("data-href"));
  });
  // The time-range picker: custom shows its two fields; any other choice applies at once.
  const range = document.getElementById("scope-range");
  const custom = document.querySelector(".custom-range");
  range?.addEventListener("change", () => {
    if (range.value === "custom") { if (custom) custom.hidden = false; return; }
    if (custom) custom.querySelectorAll("input").forEach((i) => { i.disabled = true; });
    range.form?.requestSubmit();
  });
  // Forms that change something and ask first.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Keep the selected waterfall row in view.
  document.querySelector(".wf-row.selected")?.scrollIntoView({ block: "nearest" });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
