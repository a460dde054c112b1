// "Nhật ký thông điệp": the message log searched (GET /api/v1/messages), newest first.
import {
  TRANSPORT_LABELS, api, clear, el, formatTime, showError, startPage, verdictBadge,
} from "/ui/app.js";

const main = document.getElementById("main");
const form = document.getElementById("filters");
const FIELDS = ["documentId", "knobstickId", "direction", "kind", "agency", "statusCode",
                "verdict", "state", "since", "until"];

function filtersFromUrl() {
  const params = new URLSearchParams(location.search);
  for (const name of FIELDS) document.getElementById(name).value = params.get(name) || "";
  return params;
}

async function show(params) {
  const query = new URLSearchParams();
  for (const name of [...FIELDS, "before"]) if (params.get(name)) query.set(name, params.get(name));
  query.set("limit", "50");
  const data = await api("GET", "/api/v1/messages?" + query.toString());
  const rows = document.getElementById("message-rows");
  clear(rows);
  for (const m of data.messages) {
    rows.append(el("tr", { "data-sequence": m.sequence },
      el("td", {}, el("a", { href: "/ui/message.html?sequence=" + m.sequence, class: "message-link" }, String(m.sequence))),
      el("td", {}, formatTime(m.recordedAt)),
      el("td", {}, m.direction === "inbound" ? "Nhận" : "Gửi"),
      el("td", {}, m.kind === "status" ? "Trạng thái" : "Văn bản"),
      el("td", {}, (m.fromName && m.fromName !== m.from ? m.fromName + " (" + m.from + ")" : m.from) + " → " + m.to),
      el("td", { class: "document-id" }, m.documentId),
      el("td", {}, m.statusCode || "—"),
      el("td", {}, verdictBadge(m.signature.verdict)),
      el("td", {}, m.transportState ? (TRANSPORT_LABELS[m.transportState] || m.transportState) : "—")));
  }
  if (data.messages.length === 0)
    rows.append(el("tr", {}, el("td", { colspan: 9 }, "Không có thông điệp nào khớp bộ lọc.")));
  document.getElementById("summary").textContent =
    "Tìm thấy " + (data.totalExact ? "" : "hơn ") + data.total + " thông điệp" +
    (data.messages.length ? "; đang xem số " + data.messages[data.messages.length - 1].sequence +
                            "–" + data.messages[0].sequence : "") + ".";
  const next = document.getElementById("next-page");
  next.disabled = data.next === null;
  next.onclick = () => {
    const more = new URLSearchParams(params);
    more.set("before", String(data.next));
    history.pushState(null, "", "?" + more.toString());
    run();
  };
}

async function run() {
  try {
    await show(filtersFromUrl());
  } catch (error) {
    showError(main, error);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const params = new URLSearchParams();
  for (const name of FIELDS) {
    const value = document.getElementById(name).value.trim();
    if (value) params.set(name, value);
  }
  history.pushState(null, "", "?" + params.toString());
  run();
});
form.addEventListener("reset", () => {
  history.pushState(null, "", location.pathname);
  setTimeout(run, 0);
});
document.getElementById("first-page").addEventListener("click", () => {
  const params = new URLSearchParams(location.search);
  params.delete("before");
  history.pushState(null, "", "?" + params.toString());
  run();
});
window.addEventListener("popstate", run);

await startPage("messages");
run();
