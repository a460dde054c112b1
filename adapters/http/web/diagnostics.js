// "Chẩn đoán hệ thống" (admins): the daemon's `connector doctor` checks,
// GET /api/v1/diagnostics, each with its outcome, what was found and what to do.
import { api, clear, el, formatTime, showError, showForbidden, startPage } from "/ui/app.js";

const main = document.getElementById("main");

// What each check looks at, for the person reading the page; the server's detail and
// advice follow it as they are (technical text, in English, as in the log).
const CHECK_LABELS = {
  configuration: ["Cấu hình", "tệp cấu hình đọc được và hợp lệ"],
  database: ["Cơ sở dữ liệu", "kết nối được, lược đồ đúng phiên bản"],
  axis: ["Trục liên thông", "gọi được Trục, Trục chấp nhận mã hệ thống và khóa bí mật (HMAC) của ta"],
  clock: ["Đồng hồ", "giờ của máy chủ này so với giờ của Trục"],
  signing: ["Ký số", "khóa và chứng thư ký số dùng được, còn bao lâu hết hạn"],
  "trust anchors": ["Chứng thư tin cậy", "có chứng thư gốc để kiểm tra chữ ký của bên gửi, còn hạn"],
  CRLs: ["Danh sách thu hồi (CRL)", "có danh sách thu hồi chứng thư và còn mới"],
  webhook: ["Webhook iDesk", "địa chỉ nhận thông báo của iDesk nhận kết nối"],
  readiness: ["Sẵn sàng hoạt động", "không có gì đang ngăn bộ kết nối làm việc (như /readyz)"],
};
const OUTCOMES = {
  ok: ["✔", "Bình thường"],
  warning: ["!", "Cần xử lý sớm"],
  broken: ["✘", "Lỗi"],
};
const SUMMARY = {
  ok: "Mọi thành phần hoạt động bình thường.",
  warning: "Hệ thống vẫn hoạt động, nhưng có mục cần xử lý sớm.",
  broken: "CÓ THÀNH PHẦN BỊ LỖI: xem hướng xử lý bên dưới.",
};

function checkItem(check) {
  const [label, what] = CHECK_LABELS[check.name] || [check.name, ""];
  const [mark, word] = OUTCOMES[check.outcome] || ["?", check.outcome];
  const id = "check-" + check.name.replace(/[^A-Za-z]+/g, "-");
  return el("li", { class: "check check-" + check.outcome, id },
    el("span", { class: "check-mark", "aria-hidden": "true" }, mark),
    el("div", { class: "check-body" },
      el("div", { class: "check-title" }, el("strong", {}, label), " · ",
         el("span", { class: "check-outcome" }, word)),
      what ? el("div", { class: "muted" }, "Kiểm tra: " + what) : null,
      el("div", { class: "check-detail" }, "Kết quả: ", el("code", {}, check.detail)),
      check.advice ? el("div", { class: "check-advice" }, "Cách xử lý: ", el("code", {}, check.advice)) : null));
}

function render(answer) {
  const result = document.getElementById("result");
  clear(result);
  result.append(el("h2", { id: "summary", class: "state-" + answer.outcome }, SUMMARY[answer.outcome] || answer.outcome),
                el("p", { class: "muted" }, "Kiểm tra lúc " + formatTime(answer.checkedAt)));
  const list = el("ul", { class: "checks", id: "checks" });
  for (const check of answer.checks) list.append(checkItem(check));
  result.append(list);
}

async function run() {
  const button = document.getElementById("run");
  const running = document.getElementById("running");
  button.disabled = true;
  running.hidden = false;
  try {
    render(await api("GET", "/api/v1/diagnostics"));
  } catch (error) {
    showError(main, error);
  } finally {
    button.disabled = false;
    running.hidden = true;
  }
}

const me = await startPage("diagnostics");
if (me.role !== "admin") {
  showForbidden(main, "Chỉ quản trị hệ thống được xem trang chẩn đoán.");
} else {
  document.getElementById("run").addEventListener("click", run);
  await run();
}
