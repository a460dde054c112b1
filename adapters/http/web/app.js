// Shared by every page: calls to the API (a session's writes carry its CSRF token), the
// header with the user and the logout button, the Vietnamese labels, and building the
// page from data. Everything from a package or a user is put in the page as text
// (textContent, never innerHTML), so that markup in a task title stays text.

export const ROLE_LABELS = {
  clerk: "Chuyên viên",
  leader: "Lãnh đạo",
  auditor: "Kiểm soát viên",
  admin: "Quản trị hệ thống",
  backend: "Hệ thống iDesk",
};

export const STATUS_LABELS = {
  "01": "Đã đến",
  "02": "Từ chối",
  "03": "Đã tiếp nhận",
  "04": "Đã phân công",
  "05": "Đang xử lý",
  "06": "Hoàn thành",
  "13": "Đề nghị thu hồi",
  "15": "Đồng ý thu hồi/cập nhật",
  "16": "Từ chối thu hồi/cập nhật",
};

export const TIMELINESS_LABELS = {
  open_on_time: "Trong hạn",
  open_overdue: "Quá hạn",
  done_on_time: "Hoàn thành đúng hạn",
  done_late: "Hoàn thành quá hạn",
  refused: "Bị từ chối",
  withdrawn: "Đã thu hồi",
};

export const TIMELINESS_ORDER = [
  "open_on_time", "open_overdue", "done_on_time", "done_late", "refused", "withdrawn",
];

// A dashboard tally (GET /api/v1/dashboard) as table cells: the total, each timeliness,
// the on-time rate.
export function tallyHeaders() {
  return ["Tổng số", ...TIMELINESS_ORDER.map((kind) => TIMELINESS_LABELS[kind]), "Tỷ lệ đúng hạn"];
}

export function tallyCells(tally) {
  return [String(tally.all), ...TIMELINESS_ORDER.map((kind) => String(tally[kind])),
          tally.onTimeRate === null ? "—" : Math.round(tally.onTimeRate * 100) + "%"];
}

export const EVENT_LABELS = {
  assigned: "Giao nhiệm vụ",
  status: "Cập nhật trạng thái",
  status_recorded: "Ghi nhận trạng thái",
  report: "Báo cáo tiến độ",
  reported: "Đã gửi báo cáo",
  progress: "Tiến độ",
  revoked: "Thu hồi",
  updated: "Điều chỉnh",
  replaced: "Thay thế",
  delivery_failed: "Gửi không thành công",
};

// Where a package we sent stands (transport_state.hpp), for the person who sent it.
export const DELIVERY_LABELS = {
  queued: "Chờ gửi",
  retry_wait: "Chờ gửi lại",
  sent: "Đã gửi lên Trục, chờ xác nhận",
  delivered: "Đã chuyển đến",
  delivery_failed: "Không chuyển được",
  undelivered: "Không có xác nhận",
  failed: "Gửi thất bại",
};

// Who asked for a package: "user:van-thu" → "van-thu"; "api:idesk" → "iDesk (idesk)".
export function requesterText(requestedBy) {
  if (!requestedBy) return "";
  const [kind, ...rest] = requestedBy.split(":");
  const name = rest.join(":");
  if (kind === "user") return name;
  if (kind === "api") return "hệ thống " + name;
  if (kind === "cli") return "quản trị (dòng lệnh) " + name;
  return requestedBy;
}

// The API's refusals, in words for the person in front of the page.
export function problemText(status, body) {
  switch (status) {
    case 400:
      return "Dữ liệu chưa hợp lệ: " + describeProblems(body);
    case 401:
      return "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.";
    case 403:
      return "Bạn không có quyền thực hiện thao tác này.";
    case 404:
      return "Không tìm thấy dữ liệu yêu cầu.";
    case 409:
      return "Thao tác không thực hiện được ở trạng thái hiện tại của nhiệm vụ.";
    case 429:
      return "Thao tác bị tạm khóa do thử quá nhiều lần. Vui lòng thử lại sau.";
    case 503:
      return "Hệ thống đang bận hoặc mất kết nối cơ sở dữ liệu. Vui lòng thử lại sau.";
    default:
      return "Có lỗi xảy ra (mã " + status + "). Vui lòng thử lại.";
  }
}

function describeProblems(body) {
  if (body && Array.isArray(body.problems) && body.problems.length > 0)
    return body.problems.map((p) => p.field + " — " + p.reason).join("; ");
  return (body && body.error) || "không rõ";
}

export class ApiError extends Error {
  constructor(status, body) {
    super(problemText(status, body));
    this.status = status;
    this.body = body;
  }
}

let csrfToken = "";

// A call to /api/v1/...: the JSON answer, or ApiError. 401 on a page goes to the login.
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (_) {
      data = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// A call whose answer is a file (an evidence bundle): a Blob, or ApiError.
export async function apiBlob(method, path, body) {
  const headers = { Accept: "application/zip, application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    throw new ApiError(response.status, data);
  }
  return response.blob();
}

// What a signature verdict means, for an auditor (the evidence report says the same).
export const VERDICT_LABELS = {
  valid: "Hợp lệ",
  signed: "Do hệ thống ký",
  absent: "Không có chữ ký",
  invalid: "Sai chữ ký",
  untrusted: "Chứng thư không tin cậy",
  expired: "Chứng thư hết hạn",
  not_yet_valid: "Chứng thư chưa hiệu lực",
  revoked: "Chứng thư bị thu hồi",
  unsafe: "Cấu trúc chữ ký nguy hiểm",
  wrong_signer: "Sai đơn vị ký",
  nonstandard: "Chữ ký không chuẩn",
  unchecked: "Chưa kiểm tra",
};

export const VERDICT_EXPLAINED = {
  valid: "Chữ ký số hợp lệ: nội dung không bị thay đổi, chứng thư thuộc chuỗi tin cậy và thuộc đúng đơn vị gửi.",
  signed: "Gói tin do chính hệ thống này ký bằng khóa của đơn vị trước khi gửi lên Trục.",
  absent: "Gói tin không có chữ ký số.",
  invalid: "Chữ ký không khớp với nội dung: gói tin đã bị thay đổi sau khi ký, hoặc được ký bằng khóa khác.",
  untrusted: "Chứng thư ký không thuộc chuỗi tin cậy đã cấu hình (hoặc gói tin không kèm chứng thư).",
  expired: "Một chứng thư trong chuỗi đã hết hạn tại thời điểm kiểm tra.",
  not_yet_valid: "Một chứng thư trong chuỗi chưa đến thời hạn hiệu lực.",
  revoked: "Một chứng thư trong chuỗi đã bị thu hồi (theo danh sách CRL hoặc OCSP).",
  unsafe: "Cấu trúc chữ ký bị từ chối (dấu hiệu giả mạo: bọc chữ ký, phép biến đổi lạ…).",
  wrong_signer: "Chữ ký hợp lệ nhưng chứng thư không thuộc đơn vị đứng tên gửi.",
  nonstandard: "Chữ ký không theo chuẩn XML-DSig (thư viện cũ), không kiểm tra được.",
  unchecked: "Chữ ký chưa được kiểm tra: chính sách kiểm tra đang tắt.",
};

export function verdictBadge(verdict) {
  const good = verdict === "valid" || verdict === "signed";
  return el("span", { class: "badge " + (good ? "badge-done_on_time" : "badge-open_overdue"),
                      title: VERDICT_EXPLAINED[verdict] || verdict },
            VERDICT_LABELS[verdict] || verdict);
}

export const TRANSPORT_LABELS = {
  ...DELIVERY_LABELS,
  stored: "Đã lưu",
  applied: "Đã áp dụng",
  rejected: "Bị từ chối",
  held: "Tạm giữ",
  duplicate: "Trùng (đã nhận trước đó)",
};

export function setCsrfToken(token) {
  csrfToken = token || "";
}

// The element `tag` with `text` as its text and `attributes` set as attributes.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

// "2026-12-31" as "31/12/2026"; the store's UTC times in Vietnam time (UTC+7).
export function formatDate(iso) {
  if (!iso) return "";
  const [y, m, d] = iso.split("-");
  return d + "/" + m + "/" + y;
}

export function formatTime(utc) {
  if (!utc) return "";
  const when = new Date(utc);
  if (Number.isNaN(when.getTime())) return utc;
  const local = new Date(when.getTime() + 7 * 3600 * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return (
    pad(local.getUTCHours()) + ":" + pad(local.getUTCMinutes()) + " " +
    pad(local.getUTCDate()) + "/" + pad(local.getUTCMonth() + 1) + "/" + local.getUTCFullYear()
  );
}

// The deadline as the page shows it: a date, or the words the document used.
export function dueText(task) {
  if (task.dueDate) return formatDate(task.dueDate);
  return task.dueText || "Thường xuyên";
}

// Today in Vietnam (UTC+7, whatever the browser's zone), as yyyy-MM-dd.
export function todayIso() {
  return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);
}

// Days from today (Vietnam) to the task's deadline (negative: overdue); null without one.
export function daysLeft(task) {
  if (!task.dueDate) return null;
  const utcDay = (iso) => {
    const [y, m, d] = iso.split("-").map(Number);
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((utcDay(task.dueDate) - utcDay(todayIso())) / 86400000);
}

// A DocumentId ("000.00.00.G22,2026/12/02,15/TB-VPCP") as a clerk writes it:
// "Số 15/TB-VPCP ngày 02/12/2026"; anything else as it is.
export function documentText(documentId) {
  const parts = (documentId || "").split(",");
  if (parts.length < 3 || !/^\d{4}\/\d{2}\/\d{2}$/.test(parts[1])) return documentId || "";
  const [y, m, d] = parts[1].split("/");
  return "Số " + parts.slice(2).join(",") + " ngày " + d + "/" + m + "/" + y;
}

export function statusLabel(code) {
  if (!code) return "Chưa có trạng thái";
  return STATUS_LABELS[code] || "Trạng thái " + code;
}

export function timelinessBadge(task) {
  const kind = task.timeliness;
  const badge = el("span", { class: "badge badge-" + kind }, TIMELINESS_LABELS[kind] || kind);
  const left = daysLeft(task);
  if (kind === "open_on_time" && left !== null && left <= 7) {
    return el("span", {}, badge, " ",
              el("span", { class: "badge badge-due-soon" }, left === 0 ? "Đến hạn hôm nay" : "Còn " + left + " ngày"));
  }
  return badge;
}

export function progressBar(percent) {
  const bar = el("span", { class: "progress", role: "progressbar", "aria-valuemin": 0,
                           "aria-valuemax": 100, "aria-valuenow": percent });
  const fill = el("span", { class: "progress-fill" });
  fill.style.width = Math.max(0, Math.min(100, percent)) + "%";
  bar.append(fill);
  return el("span", { class: "progress-wrap" }, bar, " " + percent + "%");
}

// The signed-in user, or the login page. Fills the header.
export async function startPage(active) {
  let me;
  try {
    me = await api("GET", "/api/v1/session");
  } catch (error) {
    if (error.status === 401) {
      const back = location.pathname + location.search;
      location.replace("/ui/login.html?next=" + encodeURIComponent(back));
      return new Promise(() => {});
    }
    throw error;
  }
  setCsrfToken(me.csrfToken);
  // The assigning side (giao, thu hồi) is the agency's own clerks' and the admins' (the
  // server decides; this only spares the others a button that would be refused).
  me.mayAssign = me.role === "admin" ||
                 (me.role === "clerk" && !!me.agency && me.units.includes(me.agency.code));
  const header = document.getElementById("top");
  clear(header);
  const nav = el("nav", { class: "nav" },
                 el("a", { href: "/ui/tasks.html", id: "nav-tasks", class: active === "tasks" ? "active" : "" }, "Nhiệm vụ"),
                 el("a", { href: "/ui/dashboard.html", id: "nav-dashboard", class: active === "dashboard" ? "active" : "" }, "Tổng hợp"));
  if (me.mayAssign)
    nav.append(el("a", { href: "/ui/assign.html", id: "nav-assign", class: active === "assign" ? "active" : "" }, "Giao nhiệm vụ"));
  if (me.role === "auditor" || me.role === "admin") {
    const link = (href, id, key, text) =>
      el("a", { href, id, class: active === key ? "active" : "" }, text);
    nav.append(link("/ui/messages.html", "nav-messages", "messages", "Nhật ký thông điệp"),
               link("/ui/integrity.html", "nav-integrity", "integrity", "Kiểm tra toàn vẹn"),
               link("/ui/audit-events.html", "nav-audit-events", "audit-events", "Nhật ký quản trị"));
  }
  if (me.role === "admin") {
    nav.append(el("a", { href: "/ui/diagnostics.html", id: "nav-diagnostics",
                         class: active === "diagnostics" ? "active" : "" }, "Chẩn đoán"));
    showReadinessBanner(header);
  }
  const who = el("span", { class: "who", id: "who" },
                 me.name + " · " + (ROLE_LABELS[me.role] || me.role) +
                 (me.units.length ? " · " + me.units.join(", ") : ""));
  const logout = el("button", { type: "button", id: "logout", class: "secondary" }, "Đăng xuất");
  logout.addEventListener("click", async () => {
    try {
      await api("DELETE", "/api/v1/session");
    } finally {
      location.replace("/ui/login.html");
    }
  });
  header.append(el("a", { href: "/ui/tasks.html", class: "brand" }, "Theo dõi nhiệm vụ"), nav,
                el("span", { class: "spacer" }), who, logout);
  return me;
}

// For admins, on every page: what keeps the daemon from working now (/readyz: a
// certificate within 14 days of its end, the store out of reach, the axis paused), with
// the way to the diagnostics. Nothing when ready or when /readyz cannot be read.
async function showReadinessBanner(header) {
  let answer;
  try {
    const response = await fetch("/readyz", { credentials: "same-origin" });
    answer = await response.json();
  } catch {
    return;
  }
  if (!answer || answer.status === "ready" || !Array.isArray(answer.problems)) return;
  const banner = el("div", { class: "readiness-banner", id: "readiness-banner", role: "alert" },
    el("strong", {}, "Bộ kết nối chưa sẵn sàng: "),
    answer.problems.join("; "), " ",
    el("a", { href: "/ui/diagnostics.html" }, "Xem chẩn đoán hệ thống"));
  header.after(banner);
}

// A page the caller may not see: the 403 view in place of the content.
export function showForbidden(main, message) {
  clear(main);
  main.append(el("section", { class: "forbidden", id: "forbidden" },
                 el("h1", {}, "Không có quyền truy cập"),
                 el("p", {}, message || "Bạn không có quyền xem nội dung này. Nhiệm vụ thuộc đơn vị khác hoặc vai trò của bạn không được phép."),
                 el("p", {}, el("a", { href: "/ui/tasks.html" }, "Quay lại danh sách nhiệm vụ"))));
}

export function showError(main, error) {
  if (error.status === 403) return showForbidden(main);
  clear(main);
  main.append(el("p", { class: "error", role: "alert" }, error.message || String(error)));
}
