// "Giao nhiệm vụ": a document and its tasks, each with its lead unit, the units that
// coordinate and a deadline, sent as one signed assignment (POST /api/v1/tasks). For the
// agency's own clerks (its code among their units) and administrators; the server
// refuses anyone else.
import { api, clear, el, showForbidden, startPage } from "/ui/app.js";

const main = document.getElementById("main");
const form = document.getElementById("assign-form");
const taskForms = document.getElementById("task-forms");
const error = document.getElementById("assign-error");
const confirmPanel = document.getElementById("assign-confirm");
const submitRow = document.getElementById("assign-actions");
let units = [];  // [code, name] of units.table, one name per code
let count = 0;

function unitOptions(select, withEmpty) {
  if (withEmpty) select.append(el("option", { value: "" }, "— Chọn đơn vị —"));
  for (const [code, name] of units) select.append(el("option", { value: code }, name + " (" + code + ")"));
  return select;
}

function addTask() {
  count += 1;
  const n = count;
  const box = el("fieldset", { class: "task-form", "data-task": n },
    el("legend", {}, "Nhiệm vụ " + n),
    el("label", { class: "field" }, "Tên nhiệm vụ", el("input", { class: "task-title", maxlength: 2000 })),
    el("label", { class: "field" }, "Nội dung", el("textarea", { class: "task-content", rows: 3, maxlength: 100000 })),
    el("div", { class: "field-row" },
       el("label", { class: "field" }, "Đơn vị chủ trì", unitOptions(el("select", { class: "task-lead" }), true)),
       el("label", { class: "field" }, "Đơn vị phối hợp",
          unitOptions(el("select", { class: "task-coordinating", multiple: true, size: 4 }), false))),
    el("div", { class: "field-row" },
       el("label", { class: "field" }, "Hạn xử lý", el("input", { class: "task-due", type: "date" })),
       el("label", { class: "field" }, "Hoặc thời hạn theo văn bản",
          el("input", { class: "task-due-text", maxlength: 200, placeholder: "Thường xuyên, Quý IV năm 2026…" }))));
  if (n > 1) {
    const remove = el("button", { type: "button", class: "secondary remove-task" }, "Xóa nhiệm vụ này");
    remove.addEventListener("click", () => box.remove());
    box.append(remove);
  }
  taskForms.append(box);
}

function nameOf(code) {
  const found = units.find(([known]) => known === code);
  return found ? found[1] : code;
}

// The request, or the first thing missing, in words.
function request() {
  const value = (id) => document.getElementById(id).value.trim();
  if (!value("doc-number") || !value("doc-notation") || !value("doc-subject"))
    return { problem: "Vui lòng nhập số, ký hiệu và trích yếu của văn bản." };
  const document_ = { number: value("doc-number"), notation: value("doc-notation"), subject: value("doc-subject") };
  if (value("signer-name")) document_.signer = { fullName: value("signer-name"), position: value("signer-position") };
  const tasks = [];
  for (const box of taskForms.querySelectorAll(".task-form")) {
    const label = box.querySelector("legend").textContent;
    const title = box.querySelector(".task-title").value.trim();
    const lead = box.querySelector(".task-lead").value;
    if (!title) return { problem: label + ": vui lòng nhập tên nhiệm vụ." };
    if (!lead) return { problem: label + ": vui lòng chọn đơn vị chủ trì." };
    const task = { title, lead: { organId: lead, name: nameOf(lead) } };
    const content = box.querySelector(".task-content").value.trim();
    if (content) task.content = content;
    const coordinating = [...box.querySelector(".task-coordinating").selectedOptions]
      .map((o) => o.value).filter((code) => code !== lead);
    if (coordinating.length) task.coordinating = coordinating.map((code) => ({ organId: code, name: nameOf(code) }));
    const due = box.querySelector(".task-due").value;
    const dueText = box.querySelector(".task-due-text").value.trim();
    if (due) task.dueDate = due;
    if (dueText) task.dueText = dueText;
    tasks.push(task);
  }
  if (tasks.length === 0) return { problem: "Vui lòng thêm ít nhất một nhiệm vụ." };
  return { body: { document: document_, tasks } };
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  error.hidden = true;
  const { problem, body } = request();
  if (problem) {
    error.textContent = problem;
    error.hidden = false;
    return;
  }
  const leads = [...new Set(body.tasks.map((t) => t.lead.name))].join(", ");
  document.getElementById("assign-summary").textContent =
    "Giao " + body.tasks.length + " nhiệm vụ theo văn bản số " + body.document.number + "/" +
    body.document.notation + " cho: " + leads + ". Văn bản sẽ được ký số và gửi qua Trục liên thông.";
  confirmPanel.hidden = false;
  submitRow.hidden = true;
});

document.getElementById("assign-cancel").addEventListener("click", () => {
  confirmPanel.hidden = true;
  submitRow.hidden = false;
});

document.getElementById("assign-ok").addEventListener("click", async () => {
  const { body } = request();
  const ok = document.getElementById("assign-ok");
  ok.disabled = true;
  try {
    const answer = await api("POST", "/api/v1/tasks", body);
    const result = document.getElementById("assign-result");
    clear(result);
    result.append("Đã giao " + answer.tasks.length + " nhiệm vụ (văn bản " + answer.documentId +
                  ", thông điệp số " + answer.message + "). ",
                  el("a", { href: "/ui/tasks.html?side=issued", id: "assigned-list" }, "Xem các nhiệm vụ đã giao"));
    confirmPanel.hidden = true;
    for (const input of form.querySelectorAll("fieldset input, fieldset textarea")) input.disabled = true;
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
    confirmPanel.hidden = true;
    submitRow.hidden = false;
  } finally {
    ok.disabled = false;
  }
});

document.getElementById("add-task").addEventListener("click", addTask);

const me = await startPage("assign");
if (!me.mayAssign) {
  showForbidden(main, "Chỉ văn thư của cơ quan (đơn vị " + (me.agency ? me.agency.code : "") +
                ") và quản trị hệ thống được giao nhiệm vụ.");
} else {
  try {
    const agencies = await api("GET", "/api/v1/agencies");
    const byCode = new Map();
    for (const { code, name } of agencies.agencies) if (!byCode.has(code)) byCode.set(code, name);
    units = [...byCode].filter(([code]) => !me.agency || code !== me.agency.code);
  } catch (_) {
    units = [];
  }
  addTask();
}
