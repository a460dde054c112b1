// One message of the log: its verdict in words, who signed, its chain position, the tasks
// it touched, its transport, and its XML shown as text with colouring. The XML is never
// parsed into the page: it is cut into tags and text by a tokenizer and each piece goes
// in as textContent, so nothing in a package can become markup or script here.
import {
  TRANSPORT_LABELS, VERDICT_EXPLAINED, api, apiBlob, clear, el, formatTime, showError,
  startPage, verdictBadge,
} from "/ui/app.js";

const main = document.getElementById("main");
const sequence = new URLSearchParams(location.search).get("sequence") || "";

function facts(id, pairs) {
  const node = document.getElementById(id);
  clear(node);
  for (const [name, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    node.append(el("dt", {}, name), el("dd", {}, value));
  }
}

// Tags indented by depth; names, attributes and text in their own spans.
export function prettyXml(text, into) {
  const tokens = text.match(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<[^>]*>|[^<]+/g) || [];
  let depth = 0;
  const line = (...parts) => {
    into.append("  ".repeat(Math.max(0, depth)), ...parts, "\n");
  };
  for (const token of tokens) {
    if (token.startsWith("<!--") || token.startsWith("<?")) {
      line(el("span", { class: "xml-comment" }, token));
    } else if (token.startsWith("<![CDATA[")) {
      line(el("span", { class: "xml-text" }, token));
    } else if (token.startsWith("</")) {
      depth -= 1;
      line(el("span", { class: "xml-tag" }, token));
    } else if (token.startsWith("<")) {
      const match = token.match(/^<([^\s/>]+)([\s\S]*?)(\/?)>$/);
      if (!match) { line(el("span", { class: "xml-text" }, token)); continue; }
      const parts = [el("span", { class: "xml-tag" }, "<" + match[1])];
      for (const attribute of match[2].match(/\s*[^\s=]+\s*=\s*("[^"]*"|'[^']*')/g) || []) {
        const [, name, value] = attribute.match(/\s*([^\s=]+)\s*=\s*([\s\S]*)/);
        parts.push(" ", el("span", { class: "xml-attr" }, name), "=", el("span", { class: "xml-value" }, value));
      }
      parts.push(el("span", { class: "xml-tag" }, match[3] + ">"));
      line(...parts);
      if (!match[3]) depth += 1;
    } else if (token.trim()) {
      const body = token.trim();
      line(el("span", { class: "xml-text" }, body.length > 400 ? body.slice(0, 400) + "… (" + body.length + " ký tự)" : body));
    }
  }
}

async function show() {
  const m = await api("GET", "/api/v1/messages/" + encodeURIComponent(sequence));
  document.title = "Thông điệp số " + m.sequence + " — Theo dõi nhiệm vụ";
  document.getElementById("title").textContent =
    "Thông điệp số " + m.sequence + " — " + (m.direction === "inbound" ? "nhận" : "gửi") + " " +
    (m.kind === "status" ? "trạng thái" + (m.statusCode ? " " + m.statusCode : "") : "văn bản");
  const verdict = document.getElementById("verdict");
  clear(verdict);
  verdict.append(verdictBadge(m.signature.verdict), " ",
                 el("span", { id: "verdict-words" }, VERDICT_EXPLAINED[m.signature.verdict] || m.signature.verdict));
  const certificate = m.signerCertificate || {};
  facts("signer", [
    ["Người ký (chủ thể chứng thư)", m.signature.signer],
    ["Tổ chức cấp (issuer)", certificate.issuer],
    ["Hiệu lực", certificate.notBefore ? certificate.notBefore + " → " + certificate.notAfter : ""],
    ["Dấu vân tay SHA-256", certificate.fingerprint],
    ["Đơn vị của chứng thư", m.signature.signerAgency ? (m.signerAgencyName || "") + " (" + m.signature.signerAgency + ")" : ""],
  ]);
  facts("facts", [
    ["Ghi nhận lúc", formatTime(m.recordedAt)],
    ["DocumentId", m.documentId],
    ["Mã gói trên Trục", m.knobstickId],
    ["Đơn vị gửi", (m.fromName || "") + " (" + m.from + ")"],
    ["Đơn vị nhận", m.recipients.map((r) => (r.name !== r.code ? r.name + " (" + r.code + ")" : r.code)).join("; ")],
    ["Trích yếu", m.subject],
    ["Nghiệp vụ", ["Văn bản mới", "Thu hồi", "Cập nhật", "Thay thế"][m.businessType] || String(m.businessType)],
    ["Người yêu cầu gửi", m.requestedBy],
    ["Kích thước", m.rawSize + " byte"],
    ["SHA-256 gói tin", m.rawSha256],
  ]);
  facts("chain", [
    ["Số thứ tự", m.sequence + " / " + m.chainHead],
    ["Băm mục trước", m.prevHash],
    ["Băm của mục này", m.entryHash],
  ]);
  const tasks = document.getElementById("tasks");
  clear(tasks);
  for (const t of m.tasks)
    tasks.append(el("li", {}, el("a", { href: "/ui/task.html?code=" + encodeURIComponent(t.code) }, t.code), " — " + t.kind + ": " + t.detail));
  if (m.tasks.length === 0) tasks.append(el("li", {}, "Không có nhiệm vụ nào do thông điệp này thay đổi."));
  const transport = document.getElementById("transport");
  clear(transport);
  for (const step of m.transportHistory)
    transport.append(el("li", {}, formatTime(step.since) + " — " + (TRANSPORT_LABELS[step.state] || step.state) + (step.reason ? ": " + step.reason : "")));
  if (m.transportHistory.length === 0) transport.append(el("li", {}, "Không có."));
  const trace = document.getElementById("trace");
  clear(trace);
  for (const header of m.traceHeaders)
    trace.append(el("li", {}, (header.organName && header.organName !== header.organId ? header.organName + " (" + header.organId + ")" : header.organId) + (header.timestamp ? " — " + header.timestamp : "")));
  if (m.traceHeaders.length === 0) trace.append(el("li", {}, "Không có."));

  const rawUrl = "/api/v1/messages/" + encodeURIComponent(sequence) + "/raw";
  document.getElementById("download").setAttribute("href", rawUrl);
  const response = await fetch(rawUrl, { credentials: "same-origin" });
  const xml = document.getElementById("xml");
  clear(xml);
  prettyXml(await response.text(), xml);
  document.getElementById("export").addEventListener("click", async () => {
    const result = document.getElementById("export-result");
    result.textContent = "Đang tạo…";
    try {
      const blob = await apiBlob("POST", "/api/v1/audit/bundles", { messages: [m.sequence] });
      const link = el("a", { href: URL.createObjectURL(blob), download: "chung-cu-" + m.sequence + ".zip", id: "bundle-link" },
                      "chung-cu-" + m.sequence + ".zip");
      clear(result);
      result.append("Đã tạo: ", link, " (" + blob.size + " byte)");
      link.click();
    } catch (error) {
      result.textContent = error.message;
    }
  });
}

await startPage("messages");
try {
  await show();
} catch (error) {
  showError(main, error);
}
