// "Kiểm tra toàn vẹn": starts a verification of both chains (POST /api/v1/audit/verify)
// and follows it (GET /api/v1/audit/verify/{job}) until it ends.
import { api, clear, el, formatTime, showError, startPage } from "/ui/app.js";

const main = document.getElementById("main");
const CHAIN_NAMES = { messages: "Nhật ký thông điệp", audit_events: "Nhật ký quản trị" };
const STATE_WORDS = {
  running: "Đang kiểm tra…",
  intact: "Toàn vẹn: không có mục nào bị thay đổi, xóa, chèn hay đảo thứ tự.",
  broken: "PHÁT HIỆN SAI LỆCH: nhật ký đã bị thay đổi.",
  failed: "Không kiểm tra được.",
};

function render(job) {
  document.getElementById("progress-section").hidden = false;
  const percent = job.total > 0 ? Math.min(100, Math.round((job.checked * 100) / job.total)) : 100;
  document.getElementById("progress").value = percent;
  document.getElementById("progress-text").textContent =
    job.checked + " / " + job.total + " mục (" + percent + "%)";
  const result = document.getElementById("result");
  clear(result);
  result.append(el("h2", { id: "state", class: "state-" + job.state }, STATE_WORDS[job.state] || job.state));
  const facts = el("dl", { class: "facts" },
    el("dt", {}, "Bắt đầu"), el("dd", {}, formatTime(job.startedAt) + " bởi " + job.startedBy),
    el("dt", {}, "Đầu chuỗi thông điệp"), el("dd", {}, String(job.messageHead)),
    el("dt", {}, "Đầu chuỗi quản trị"), el("dd", {}, String(job.auditHead)),
    el("dt", {}, "Điểm kiểm đã ký"),
    el("dd", {}, job.checkpoints + " (" + (job.checkpointSource === "file" ? "từ tệp điểm kiểm" : "từ cơ sở dữ liệu") + ")" +
                 (job.lastCheckpoint !== null ? "; điểm kiểm cuối tại mục " + job.lastCheckpoint + ", " + formatTime(job.lastCheckpointAt) : "")));
  result.append(facts);
  for (const report of job.reports) {
    const name = CHAIN_NAMES[report.chain] || report.chain;
    if (report.ok) {
      result.append(el("p", { class: "chain-ok" }, name + ": " + report.checked + " mục nguyên vẹn; mã băm đầu chuỗi " + report.headHash));
    } else {
      result.append(el("div", { class: "chain-broken error", role: "alert", id: "broken-" + report.chain },
        el("p", {}, name + ": mục đầu tiên bị sai lệch là mục số ", el("strong", { id: "first-bad-" + report.chain }, String(report.firstBadSequence)), "."),
        el("p", {}, "Chi tiết: " + report.problem),
        el("p", {}, report.checked + " mục trước đó nguyên vẹn. Mục này và mọi mục sau nó không còn tin được; hãy đối chiếu với bản sao lưu và tệp điểm kiểm."),
        report.chain === "messages" ? el("p", {}, el("a", { href: "/ui/message.html?sequence=" + report.firstBadSequence }, "Xem thông điệp số " + report.firstBadSequence)) : null));
    }
  }
  if (job.problem) result.append(el("p", { class: "error", role: "alert" }, job.problem));
}

async function follow(job) {
  render(job);
  while (job.state === "running") {
    await new Promise((resolve) => setTimeout(resolve, 300));
    job = await api("GET", "/api/v1/audit/verify/" + job.job);
    render(job);
  }
}

await startPage("integrity");
document.getElementById("run").addEventListener("click", async () => {
  try {
    await follow(await api("POST", "/api/v1/audit/verify", {}));
  } catch (error) {
    showError(main, error);
  }
});
// The page is the auditors': a clerk sees the refusal before any button is pressed.
try {
  await api("GET", "/api/v1/audit/events?limit=1");
} catch (error) {
  showError(main, error);
}
