// "Tổng hợp": the counts by unit and by document, as tables and an SVG chart, what is due
// soon and what is longest overdue, with the period filters in the address and the
// exports and the printable report for the same filters.
import {
  TIMELINESS_LABELS, TIMELINESS_ORDER, api, clear, daysLeft, documentText, dueText, el,
  showError, startPage, tallyCells, tallyHeaders,
} from "/ui/app.js";

const FILTERS = ["side", "dueAfter", "dueBefore"];
const SVG = "http://www.w3.org/2000/svg";
const main = document.getElementById("main");
const form = document.getElementById("filters");

function currentFilters() {
  const params = new URLSearchParams(location.search);
  const filters = {};
  for (const name of FILTERS) if (params.get(name)) filters[name] = params.get(name);
  return filters;
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// One horizontal bar per unit, its segments the timeliness classes (the legend is HTML).
function chart(units) {
  const rowHeight = 28, labelWidth = 260, barWidth = 560, top = 4;
  const height = top + units.length * rowHeight + 10;
  const most = Math.max(1, ...units.map((u) => u.all));
  const root = svg("svg", { viewBox: "0 0 " + (labelWidth + barWidth + 60) + " " + height,
                            role: "img", "aria-label": "Biểu đồ nhiệm vụ theo đơn vị chủ trì",
                            class: "bar-chart", id: "unit-chart" });
  units.forEach((unit, index) => {
    const y = top + index * rowHeight;
    root.append(svg("text", { x: labelWidth - 8, y: y + 17, class: "bar-label", "text-anchor": "end" },
                    unit.name || unit.code || "(không có đơn vị chủ trì)"));
    let x = labelWidth;
    for (const kind of TIMELINESS_ORDER) {
      const count = unit[kind];
      if (!count) continue;
      const width = (count / most) * barWidth;
      const segment = svg("rect", { x, y: y + 4, width, height: rowHeight - 8, class: "seg-" + kind });
      segment.append(svg("title", {}, (unit.name || unit.code) + ": " + TIMELINESS_LABELS[kind] + " " + count));
      root.append(segment);
      x += width;
    }
    root.append(svg("text", { x: x + 6, y: y + 17, class: "bar-total" }, String(unit.all)));
  });
  return root;
}

function tallyTable(table, firstHeader, rows, firstCell, link) {
  clear(table);
  table.append(el("thead", {}, el("tr", {}, el("th", {}, firstHeader),
                                 ...tallyHeaders().map((h) => el("th", { class: "number" }, h)))));
  const body = el("tbody");
  for (const row of rows) {
    const cells = tallyCells(row).map((value, i) => {
      const kind = TIMELINESS_ORDER[i - 1];
      if (link && kind && Number(value) > 0)
        return el("td", { class: "number" }, el("a", { href: link(row, kind) }, value));
      return el("td", { class: "number" }, value);
    });
    body.append(el("tr", {}, el("td", {}, firstCell(row)), ...cells));
  }
  if (rows.length === 0) body.append(el("tr", {}, el("td", { colspan: 9, class: "empty" }, "Không có nhiệm vụ.")));
  table.append(body);
}

function taskList(list, tasks, describe) {
  clear(list);
  for (const task of tasks) {
    const link = el("a", { href: "/ui/task.html?code=" + encodeURIComponent(task.code) });
    link.textContent = task.title;
    list.append(el("li", {}, link, el("span", { class: "muted" }, " — " + describe(task))));
  }
  if (tasks.length === 0) list.append(el("li", { class: "muted empty-item" }, "Không có."));
}

async function load() {
  const filters = currentFilters();
  for (const name of FILTERS) document.getElementById(name).value = filters[name] || "";
  const query = new URLSearchParams(filters).toString();
  let data;
  try {
    data = await api("GET", "/api/v1/dashboard" + (query ? "?" + query : ""));
  } catch (error) {
    return showError(main, error);
  }
  const cards = document.getElementById("cards");
  clear(cards);
  const card = (id, label, value, kind) =>
    el("div", { class: "card" + (kind ? " card-" + kind : ""), id }, el("span", { class: "card-value" }, value),
       el("span", { class: "card-label" }, label));
  const t = data.totals;
  cards.append(card("card-all", "Tổng số nhiệm vụ", t.all),
               card("card-open_on_time", "Đang thực hiện, trong hạn", t.open_on_time, "open_on_time"),
               card("card-open_overdue", "Đang thực hiện, quá hạn", t.open_overdue, "open_overdue"),
               card("card-done_on_time", "Hoàn thành đúng hạn", t.done_on_time, "done_on_time"),
               card("card-done_late", "Hoàn thành quá hạn", t.done_late, "done_late"),
               card("card-rate", "Tỷ lệ hoàn thành đúng hạn",
                    t.onTimeRate === null ? "—" : Math.round(t.onTimeRate * 100) + "%"));
  const chartBox = document.getElementById("chart");
  clear(chartBox);
  if (data.byUnit.length) {
    chartBox.append(el("div", { class: "legend" },
                       ...TIMELINESS_ORDER.map((kind) => el("span", { class: "legend-item" },
                                                            el("span", { class: "swatch sw-" + kind }),
                                                            TIMELINESS_LABELS[kind]))),
                    chart(data.byUnit));
  }
  const toList = (extra) => "/ui/tasks.html?" + new URLSearchParams({ ...filters, ...extra }).toString();
  tallyTable(document.getElementById("by-unit"), "Đơn vị chủ trì", data.byUnit,
             (u) => u.name || u.code || "(không có)",
             (u, kind) => toList(u.code ? { agency: u.code, timeliness: kind } : { timeliness: kind }));
  tallyTable(document.getElementById("by-document"), "Văn bản giao", data.byDocument,
             (d) => documentText(d.documentId));
  taskList(document.getElementById("due-soon"), data.dueSoon, (task) => "hạn " + dueText(task));
  taskList(document.getElementById("longest-overdue"), data.longestOverdue,
           (task) => "quá hạn " + -daysLeft(task) + " ngày (hạn " + dueText(task) + ")");
  const suffix = query ? "?" + query : "";
  for (const [id, file] of [["export-tasks-csv", "tasks.csv"], ["export-tasks-xlsx", "tasks.xlsx"],
                            ["export-units-csv", "units.csv"], ["export-documents-csv", "documents.csv"],
                            ["export-summary-xlsx", "summary.xlsx"]])
    document.getElementById(id).href = "/api/v1/exports/" + file + suffix;
  document.getElementById("print-link").href = "/ui/report.html" + suffix;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const filters = {};
  for (const name of FILTERS) {
    const value = document.getElementById(name).value;
    if (value) filters[name] = value;
  }
  const query = new URLSearchParams(filters).toString();
  history.pushState(null, "", "/ui/dashboard.html" + (query ? "?" + query : ""));
  load();
});
form.addEventListener("reset", (event) => {
  event.preventDefault();
  history.pushState(null, "", "/ui/dashboard.html");
  load();
});
window.addEventListener("popstate", load);

await startPage("dashboard");
load();
