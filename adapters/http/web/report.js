// "Báo cáo tình hình thực hiện nhiệm vụ": the dashboard's figures for the same filters,
// laid out to be printed (app.css's print rules drop the page's controls).
import {
  api, clear, documentText, dueText, el, showError, startPage, tallyCells, tallyHeaders,
} from "/ui/app.js";

const main = document.getElementById("main");

function table(id, headers, rows) {
  const node = document.getElementById(id);
  clear(node);
  node.append(el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))));
  const body = el("tbody");
  for (const row of rows) body.append(el("tr", {}, ...row.map((cell) => el("td", {}, cell))));
  if (rows.length === 0) body.append(el("tr", {}, el("td", { colspan: headers.length }, "Không có.")));
  node.append(body);
}

function formatIso(iso) {
  if (!iso) return "…";
  const [y, m, d] = iso.split("-");
  return d + "/" + m + "/" + y;
}

document.getElementById("print").addEventListener("click", () => window.print());

const me = await startPage("dashboard");
const params = new URLSearchParams(location.search);
const filters = {};
for (const name of ["side", "dueAfter", "dueBefore"]) if (params.get(name)) filters[name] = params.get(name);
const query = new URLSearchParams(filters).toString();
try {
  const data = await api("GET", "/api/v1/dashboard" + (query ? "?" + query : ""));
  document.getElementById("report-issuer").textContent =
    me.agency ? me.agency.name.toUpperCase() : "HỆ THỐNG THEO DÕI NHIỆM VỤ";
  document.getElementById("report-period").textContent =
    filters.dueAfter || filters.dueBefore
      ? "Nhiệm vụ có hạn xử lý từ " + formatIso(filters.dueAfter) + " đến " + formatIso(filters.dueBefore)
      : "Tất cả nhiệm vụ, tính đến ngày " + formatIso(data.today);
  table("report-totals", ["Chỉ tiêu", ...tallyHeaders()], [["Toàn bộ", ...tallyCells(data.totals)]]);
  table("report-units", ["Đơn vị chủ trì", ...tallyHeaders()],
        data.byUnit.map((u) => [u.name || u.code || "(không có)", ...tallyCells(u)]));
  const line = (task, i) => [String(i + 1), task.title, documentText(task.sourceDocumentId), dueText(task)];
  table("report-overdue", ["STT", "Nhiệm vụ", "Văn bản giao", "Hạn xử lý"], data.longestOverdue.map(line));
  table("report-soon", ["STT", "Nhiệm vụ", "Văn bản giao", "Hạn xử lý"], data.dueSoon.map(line));
  document.getElementById("report-made").textContent = "Lập ngày " + formatIso(data.today) + ".";
} catch (error) {
  showError(main, error);
}
