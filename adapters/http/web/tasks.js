// "Nhiệm vụ": the tasks the user may see, filtered, searched and paged by the server
// (a clerk's units are applied there, not here). The filters live in the address, so a
// filtered list can be bookmarked and the back button works.
import {
  TIMELINESS_LABELS, TIMELINESS_ORDER, api, clear, documentText, dueText, el, progressBar,
  showError, startPage, statusLabel, timelinessBadge,
} from "/ui/app.js";

const PAGE_SIZE = 25;
const FILTERS = ["q", "agency", "status", "timeliness", "dueAfter", "dueBefore"];

const main = document.getElementById("main");
const form = document.getElementById("filters");
const rows = document.getElementById("task-rows");
const summary = document.getElementById("summary");
const nextButton = document.getElementById("next-page");
const firstButton = document.getElementById("first-page");

let agencyNames = new Map();

function currentFilters() {
  const params = new URLSearchParams(location.search);
  const filters = {};
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  return { filters, after: params.get("after") || "" };
}

function fillForm(filters) {
  for (const name of FILTERS) document.getElementById(name).value = filters[name] || "";
}

function agencyName(code) {
  return agencyNames.get(code) || code;
}

function leadOf(task) {
  const lead = task.assignees.find((a) => a.role === "lead");
  if (!lead) return "";
  return lead.name || agencyName(lead.organId);
}

function row(task) {
  const link = el("a", { href: "/ui/task.html?code=" + encodeURIComponent(task.code), class: "task-title" });
  link.textContent = task.title;
  const badges = el("div", { class: "row-badges" });
  if (task.timeliness === "open_overdue") badges.append(el("span", { class: "badge badge-open_overdue" }, "Quá hạn"));
  return el("tr", { "data-code": task.code },
            el("td", {}, link, el("div", { class: "muted" }, task.code)),
            el("td", {}, documentText(task.sourceDocumentId),
               el("div", { class: "muted" }, agencyName(task.issuer))),
            el("td", {}, leadOf(task)),
            el("td", {}, dueText(task)),
            el("td", {}, statusLabel(task.status)),
            el("td", {}, progressBar(task.progress)),
            el("td", {}, timelinessBadge(task)));
}

async function load() {
  const { filters, after } = currentFilters();
  fillForm(filters);
  showCounts(filters);
  const query = new URLSearchParams({ ...filters, limit: String(PAGE_SIZE) });
  if (after) query.set("after", after);
  summary.textContent = "Đang tải…";
  clear(rows);
  let page;
  try {
    page = await api("GET", "/api/v1/tasks?" + query.toString());
  } catch (error) {
    summary.textContent = "";
    if (error.status === 400) {
      summary.textContent = error.message;
      return;
    }
    return showError(main, error);
  }
  for (const task of page.tasks) rows.append(row(task));
  if (page.tasks.length === 0) {
    rows.append(el("tr", {}, el("td", { colspan: 7, class: "empty" }, "Không có nhiệm vụ nào phù hợp.")));
  }
  summary.textContent = (after ? "Trang tiếp theo: " : "") + page.tasks.length + " nhiệm vụ" +
                        (page.next ? " (còn nữa)" : "");
  nextButton.disabled = !page.next;
  nextButton.dataset.after = page.next || "";
  firstButton.disabled = !after;
}

// How many tasks each standing holds under the other filters: one click narrows to it.
async function showCounts(filters) {
  const counts = document.getElementById("counts");
  const others = { ...filters };
  delete others.timeliness;
  let data;
  try {
    data = await api("GET", "/api/v1/dashboard?" + new URLSearchParams(others).toString());
  } catch (_) {
    clear(counts);
    return;
  }
  clear(counts);
  const chip = (kind, label, count) => {
    const active = (filters.timeliness || "") === kind;
    const link = el("a", { href: "#", class: "chip" + (active ? " active" : ""), "data-timeliness": kind },
                    label + " (" + count + ")");
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const next = { ...filters };
      if (kind) next.timeliness = kind;
      else delete next.timeliness;
      go(next, "");
    });
    return link;
  };
  counts.append(chip("", "Tất cả", data.totals.all));
  for (const kind of TIMELINESS_ORDER)
    if (data.totals[kind] > 0) counts.append(chip(kind, TIMELINESS_LABELS[kind], data.totals[kind]));
}

function go(filters, after) {
  const params = new URLSearchParams(filters);
  if (after) params.set("after", after);
  history.pushState(null, "", "/ui/tasks.html" + (params.toString() ? "?" + params.toString() : ""));
  load();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const filters = {};
  for (const name of FILTERS) {
    const value = document.getElementById(name).value.trim();
    if (value) filters[name] = value;
  }
  go(filters, "");
});
form.addEventListener("reset", (event) => {
  event.preventDefault();
  go({}, "");
});
nextButton.addEventListener("click", () => go(currentFilters().filters, nextButton.dataset.after));
firstButton.addEventListener("click", () => go(currentFilters().filters, ""));
window.addEventListener("popstate", load);

const me = await startPage("tasks");
try {
  const agencies = await api("GET", "/api/v1/agencies");
  agencyNames = new Map(agencies.agencies.map((a) => [a.code, a.name]));
  const select = document.getElementById("agency");
  const codes = me.units.length ? me.units : agencies.agencies.map((a) => a.code);
  for (const code of codes) select.append(el("option", { value: code }, agencyName(code) + " (" + code + ")"));
} catch (_) {
  // without the units table the filter offers "all" only
}
load();
