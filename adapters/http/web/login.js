// The login page: a name and a password for a session; then back where the user was.
import { api } from "/ui/app.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const button = document.getElementById("login-button");

// Only a path of ours: "?next=https://elsewhere" must not send the user away.
function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "";
  return /^\/ui\/[A-Za-z0-9._-]+(\?[^#]*)?$/.test(next) ? next : "/ui/tasks.html";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const name = document.getElementById("name").value.trim();
  const password = document.getElementById("password").value;
  if (!name || !password) {
    error.textContent = "Vui lòng nhập tên đăng nhập và mật khẩu.";
    error.hidden = false;
    return;
  }
  button.disabled = true;
  try {
    await api("POST", "/api/v1/session", { name, password });
    location.replace(nextPage());
  } catch (failure) {
    if (failure.status === 401) error.textContent = "Tên đăng nhập hoặc mật khẩu không đúng.";
    else if (failure.status === 429)
      error.textContent =
        "Tài khoản tạm khóa 15 phút do nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau.";
    else error.textContent = failure.message;
    error.hidden = false;
    button.disabled = false;
  }
});
