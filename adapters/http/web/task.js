// The task page: what was assigned, by which document, to whom, by when; where it stands;
// its history; and the actions the user may take on it, each confirmed first. Every action
// is a report the server signs and sends over the axis (POST /api/v1/tasks/{code}/reports).
import {
  DELIVERY_LABELS, EVENT_LABELS, api, clear, documentText, dueText, el, formatDate, formatTime,
  progressBar, requesterText, showError, startPage, statusLabel, timelinessBadge, todayIso,
} from "/ui/app.js";

const main = document.getElementById("main");
const code = new URLSearchParams(location.search).get("code") || "";
const dialog = document.getElementById("confirm");
const dialogForm = document.getElementById("confirm-form");
const dialogFields = document.getElementById("confirm-fields");
const dialogError = document.getElementById("confirm-error");
const result = document.getElementById("action-result");

let agencyNames = new Map();
let me = null;

function text(id, value) {
  document.getElementById(id).textContent = value;
}

function unitName(assignee) {
  return assignee.name || agencyNames.get(assignee.organId) || assignee.organId;
}

// The actions of the receiving side, as reports: which status each sends and what it asks.
const ACTIONS = [
  { id: "accept", label: "Tiếp nhận", status: "03", title: "Tiếp nhận nhiệm vụ",
    help: "Xác nhận đơn vị đã tiếp nhận nhiệm vụ và vào sổ theo dõi." },
  { id: "assign", label: "Phân công", status: "04", title: "Phân công xử lý", units: true,
    help: "Chọn đơn vị được phân công xử lý nhiệm vụ." },
  { id: "progress", label: "Báo cáo tiến độ", status: "05", title: "Báo cáo tiến độ", percent: true,
    note: "Nội dung báo cáo", help: "Tiến độ (%) và nội dung đã thực hiện." },
  { id: "finish", label: "Hoàn thành", status: "06", title: "Báo cáo hoàn thành", completion: true,
    note: "Kết quả thực hiện", help: "Nhiệm vụ sẽ được báo cáo là đã hoàn thành." },
  { id: "refuse", label: "Từ chối", status: "02", title: "Từ chối nhiệm vụ", note: "Lý do từ chối",
    noteRequired: true, help: "Nhiệm vụ sẽ được trả lại đơn vị giao, kèm lý do." },
];

// The assigning side's: điều chỉnh changes this task (title, content, deadline); thu hồi
// takes back the whole document and every task of it.
const AMEND = { id: "amend", label: "Điều chỉnh", title: "Điều chỉnh nhiệm vụ", amend: true,
                note: "Lý do điều chỉnh", noteRequired: true,
                help: "Sửa tên, nội dung hoặc hạn xử lý; đơn vị chủ trì nhận văn bản điều chỉnh qua Trục liên thông, trạng thái và tiến độ được giữ nguyên." };
const REVOKE = { id: "revoke", label: "Thu hồi văn bản giao", title: "Thu hồi văn bản giao nhiệm vụ",
                 note: "Lý do thu hồi", noteRequired: true, revoke: true,
                 help: "Văn bản giao và mọi nhiệm vụ của văn bản sẽ được thu hồi; các đơn vị nhận được thông báo qua Trục liên thông." };

// The link that downloads the package behind a history line.
function packageLink(message, label) {
  return el("a", { href: "/api/v1/tasks/" + encodeURIComponent(code) + "/package?message=" + message,
                   download: "goi-tin-" + message + ".xml", class: "package-link" }, label);
}

function closed(task) {
  return task.withdrawn || task.status === "06" || task.status === "02";
}

// What may follow the task's status on our side (the server has the last word: 409).
const NEXT_ACTIONS = {
  "": ["accept", "refuse"],
  "01": ["accept", "refuse"],
  "03": ["assign", "progress", "finish", "refuse"],
  "04": ["assign", "progress", "finish"],
  "05": ["progress", "finish"],
};

function actionsFor(task) {
  const allowed = NEXT_ACTIONS[task.status || ""] || [];
  return ACTIONS.filter((action) => allowed.includes(action.id));
}

// The units a task may be handed to: those of the lead's own agency ("….H20").
function unitsFor(task) {
  const lead = task.assignees.find((a) => a.role === "lead");
  const agency = lead && lead.organId ? lead.organId.split(".").pop() : "";
  return [...agencyNames].filter(([code]) => !agency || code.endsWith("." + agency));
}

function mayAct(task) {
  return task.side === "received" && ["clerk", "admin"].includes(me.role) && !closed(task);
}

function field(label, input) {
  return el("label", { class: "field" }, label, input);
}

function openAction(task, action) {
  clear(dialogFields);
  dialogError.hidden = true;
  document.getElementById("confirm-title").textContent = action.title;
  dialogFields.append(el("p", {}, action.help), el("p", { class: "muted" }, task.title));
  let percent, note, completion, units, newTitle, newContent, newDue, newDueText;
  if (action.amend) {
    newTitle = el("input", { type: "text", id: "field-title", value: task.title, maxlength: 2000, required: true });
    newContent = el("textarea", { id: "field-content", rows: 4, maxlength: 100000 });
    newContent.value = task.content || "";
    newDue = el("input", { type: "date", id: "field-due", value: task.dueDate || "" });
    newDueText = el("input", { type: "text", id: "field-due-text", value: task.dueText || "", maxlength: 500,
                               placeholder: "Ví dụ: Quý II năm 2026, Thường xuyên" });
    dialogFields.append(field("Tên nhiệm vụ", newTitle), field("Nội dung", newContent),
                        field("Hạn xử lý (để trống nếu không có hạn cụ thể)", newDue),
                        field("Hạn ghi trong văn bản", newDueText));
  }
  if (action.percent) {
    percent = el("input", { type: "number", min: 0, max: 100, value: task.progress, id: "field-percent", required: true });
    dialogFields.append(field("Tiến độ (%)", percent));
  }
  if (action.units) {
    units = el("select", { id: "field-units", multiple: true, size: 5 });
    for (const [code, name] of unitsFor(task)) units.append(el("option", { value: code }, name + " (" + code + ")"));
    dialogFields.append(field("Đơn vị được phân công", units));
  }
  if (action.completion) {
    completion = el("input", { type: "date", id: "field-completion", value: todayIso(), max: todayIso() });
    dialogFields.append(field("Ngày hoàn thành", completion));
  }
  if (action.note) {
    note = el("textarea", { id: "field-note", rows: 4, maxlength: 4000 });
    note.addEventListener("input", () => { dialogError.hidden = true; });
    dialogFields.append(field(action.note, note));
  }
  dialogForm.onsubmit = async (event) => {
    event.preventDefault();
    const body = action.status ? { status: action.status } : {};
    if (percent) {
      const value = Number(percent.value);
      if (!Number.isInteger(value) || value < 0 || value > 100) {
        dialogError.textContent = "Tiến độ phải là số nguyên từ 0 đến 100.";
        dialogError.hidden = false;
        return;
      }
      body.progress = value;
    }
    if (action.completion) body.progress = 100;
    if (completion && completion.value) body.completionDate = completion.value;
    let noteText = note ? note.value.trim() : "";
    if (units) {
      const chosen = [...units.selectedOptions].map((o) => o.textContent);
      if (chosen.length === 0) {
        dialogError.textContent = "Vui lòng chọn ít nhất một đơn vị.";
        dialogError.hidden = false;
        return;
      }
      noteText = "Phân công: " + chosen.join("; ");
    }
    if (action.noteRequired && !noteText) {
      dialogError.textContent = "Vui lòng nhập " + action.note.toLowerCase() + ".";
      dialogError.hidden = false;
      return;
    }
    if (noteText) body.note = noteText;
    let change = null;
    if (action.amend) {
      change = { code: task.code };
      if (!newTitle.value.trim()) {
        dialogError.textContent = "Vui lòng nhập tên nhiệm vụ.";
        dialogError.hidden = false;
        return;
      }
      if (newTitle.value.trim() !== task.title) change.title = newTitle.value.trim();
      if (newContent.value !== (task.content || "")) change.content = newContent.value;
      if (newDue.value !== (task.dueDate || "") || newDueText.value.trim() !== (task.dueText || "")) {
        change.dueDate = newDue.value || null;
        change.dueText = newDueText.value.trim();
      }
      if (Object.keys(change).length === 1) {
        dialogError.textContent = "Chưa có nội dung nào thay đổi.";
        dialogError.hidden = false;
        return;
      }
    }
    const ok = document.getElementById("confirm-ok");
    ok.disabled = true;
    const documentPath = "/api/v1/documents/" + encodeURIComponent(task.sourceDocumentId);
    try {
      const answer = action.revoke
        ? await api("POST", documentPath + "/revocation", { reason: noteText })
        : action.amend
          ? await api("POST", documentPath + "/amendment", { reason: noteText, tasks: [change] })
          : await api("POST", "/api/v1/tasks/" + encodeURIComponent(task.code) + "/reports", body);
      dialog.close();
      result.className = "success";
      result.textContent = "Đã gửi: " + action.title.toLowerCase() + " (thông điệp số " + answer.message + ").";
      await load();
    } catch (error) {
      dialogError.textContent = error.message;
      dialogError.hidden = false;
    } finally {
      ok.disabled = false;
    }
  };
  dialog.showModal();
}

document.getElementById("confirm-cancel").addEventListener("click", () => dialog.close());

function render(task) {
  document.title = task.title + " — Theo dõi nhiệm vụ";
  text("task-title", task.title);
  text("task-code", "Mã nhiệm vụ: " + task.code);
  const badges = document.getElementById("task-badges");
  clear(badges);
  badges.append(timelinessBadge(task));
  if (task.takeBackRequested) badges.append(" ", el("span", { class: "badge badge-withdrawn" }, "Đơn vị giao đề nghị thu hồi"));
  const source = document.getElementById("task-document");
  clear(source);
  source.append(documentText(task.sourceDocumentId));
  const assigned = task.history.find((event) => event.kind === "assigned" && event.message > 0);
  if (assigned) source.append(" · ", packageLink(assigned.message, "Tải gói tin văn bản giao"));
  text("task-issuer", agencyNames.get(task.issuer) || task.issuer);
  const lead = task.assignees.filter((a) => a.role === "lead").map(unitName);
  const coordinating = task.assignees.filter((a) => a.role !== "lead").map(unitName);
  text("task-lead", lead.join("; ") || "—");
  text("task-coordinating", coordinating.join("; ") || "—");
  text("task-due", dueText(task) + (task.dueDate && task.dueText ? " (" + task.dueText + ")" : ""));
  text("task-status", statusLabel(task.status) + (task.status ? " (" + task.status + ")" : ""));
  const progress = document.getElementById("task-progress");
  clear(progress);
  progress.append(progressBar(task.progress));
  if (task.progressNote) progress.append(el("div", { class: "muted" }, task.progressNote));
  text("task-completed", task.completionDate ? formatDate(task.completionDate) : "—");
  text("task-content", task.content || "(không có nội dung chi tiết)");

  const actions = document.getElementById("actions");
  clear(actions);
  if (mayAct(task)) {
    for (const action of actionsFor(task)) {
      const button = el("button", { type: "button", id: "action-" + action.id,
                                    class: action.id === "refuse" ? "danger" : "" }, action.label);
      button.addEventListener("click", () => openAction(task, action));
      actions.append(button);
    }
  } else if (task.side === "issued" && me.mayAssign && !task.withdrawn) {
    if (task.status !== "06") {
      const amend = el("button", { type: "button", id: "action-amend" }, AMEND.label);
      amend.addEventListener("click", () => openAction(task, AMEND));
      actions.append(amend);
    }
    const button = el("button", { type: "button", id: "action-revoke", class: "danger" }, REVOKE.label);
    button.addEventListener("click", () => openAction(task, REVOKE));
    actions.append(button);
  } else {
    actions.append(el("p", { class: "muted" },
                      closed(task) ? "Nhiệm vụ đã kết thúc; không còn thao tác xử lý."
                                   : "Vai trò của bạn chỉ được xem nhiệm vụ này."));
  }

  const history = document.getElementById("history");
  clear(history);
  for (const event of task.history) {
    const item = el("li", {},
                    el("time", { datetime: event.at }, formatTime(event.at)),
                    el("strong", {}, EVENT_LABELS[event.kind] || event.kind),
                    el("span", { class: "detail" }, event.detail));
    if (event.actor) {
      // Ours with no one asking: sent by the connector itself (01 on receipt).
      const ours = me.agency && event.actor.agency === me.agency.code;
      const who = requesterText(event.actor.requestedBy) || (ours ? "tự động" : "");
      item.append(el("span", { class: "actor" },
                     (event.actor.agencyName || event.actor.agency) + (who ? " · " + who : "")));
    }
    if (event.message > 0) {
      const verdict = event.signature ? event.signature.verdict : "";
      item.append(el("span", { class: "muted" },
                     packageLink(event.message, "Gói tin số " + event.message),
                     verdict ? " · chữ ký: " + verdict : ""));
    }
    history.append(item);
  }

  const deliveries = task.deliveries || [];
  const rows = document.querySelector("#deliveries tbody");
  clear(rows);
  for (const delivery of deliveries) {
    const recipients = el("ul", { class: "plain" });
    const states = el("ul", { class: "plain" });
    for (const recipient of delivery.recipients) {
      recipients.append(el("li", {}, agencyNames.get(recipient.organId) || recipient.organId));
      states.append(el("li", { class: "delivery delivery-" + recipient.state },
                       DELIVERY_LABELS[recipient.state] || recipient.state));
    }
    rows.append(el("tr", {},
                   el("td", {}, packageLink(delivery.message, "Số " + delivery.message)),
                   el("td", {}, delivery.subject || (delivery.statusCode ? "Trạng thái " + delivery.statusCode : "")),
                   el("td", {}, requesterText(delivery.requestedBy) || "tự động"),
                   el("td", {}, recipients),
                   el("td", {}, states)));
  }
  document.getElementById("deliveries-section").hidden = deliveries.length === 0;
  document.getElementById("task").hidden = false;
}

async function load() {
  let task;
  try {
    task = await api("GET", "/api/v1/tasks/" + encodeURIComponent(code));
  } catch (error) {
    return showError(main, error);
  }
  render(task);
}

me = await startPage("tasks");
try {
  const agencies = await api("GET", "/api/v1/agencies");
  agencyNames = new Map(agencies.agencies.map((a) => [a.code, a.name]));
} catch (_) {
  // names fall back to the codes
}
if (!code) showError(main, { status: 404, message: "Thiếu mã nhiệm vụ." });
else load();
