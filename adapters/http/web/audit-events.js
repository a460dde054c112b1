// "Nhật ký quản trị": the administrative actions chain (GET /api/v1/audit/events).
import { api, clear, el, formatTime, showError, startPage } from "/ui/app.js";

const main = document.getElementById("main");
const FIELDS = ["actor", "action", "since", "until"];
const ACTION_WORDS = {};
for (const option of document.querySelectorAll("#action option"))
  if (option.value) ACTION_WORDS[option.value] = option.textContent;

async function show(before) {
  const query = new URLSearchParams({ limit: "50" });
  for (const name of FIELDS) {
    const value = document.getElementById(name).value.trim();
    if (value) query.set(name, value);
  }
  if (before) query.set("before", String(before));
  const data = await api("GET", "/api/v1/audit/events?" + query.toString());
  const rows = document.getElementById("event-rows");
  clear(rows);
  for (const e of data.events)
    rows.append(el("tr", {},
      el("td", {}, String(e.sequence)), el("td", {}, formatTime(e.recordedAt)), el("td", {}, e.actor),
      el("td", { title: e.action }, ACTION_WORDS[e.action] || e.action), el("td", {}, e.target), el("td", {}, e.detail)));
  if (data.events.length === 0) rows.append(el("tr", {}, el("td", { colspan: 6 }, "Không có sự kiện nào.")));
  const next = document.getElementById("next-page");
  next.disabled = data.next === null;
  next.onclick = () => run(data.next);
}

async function run(before) {
  try {
    await show(before);
  } catch (error) {
    showError(main, error);
  }
}

document.getElementById("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});
await startPage("audit-events");
run();
