#!/usr/bin/python3
"""The pages in headless Chromium, driven by Selenium (tests/ui/ui_test.sh sets the scene).

Each check is a function named check_*, run in order (later ones build on the state the
earlier ones left: a task accepted, then assigned, then reported...). Each saves a
screenshot of what it looked at in $UI_SCREENS. Failures are collected and printed; the
exit status is 1 when any check failed.
"""
import json
import os
import sys
import time
import traceback
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException, StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

H20 = os.environ["UI_H20_URL"]
G22 = os.environ["UI_G22_URL"]
G22_TOKEN = os.environ["UI_G22_TOKEN"]
WORK = os.environ["UI_WORK"]
SCREENS = os.environ["UI_SCREENS"]
WAIT = 30  # seconds: the longest a page or the axis may take


def password(name):
    with open(os.path.join(WORK, name + ".password"), encoding="utf-8") as file:
        return file.read().strip()


DOWNLOADS = os.path.join(WORK, "downloads")


def new_browser():
    os.makedirs(DOWNLOADS, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.add_experimental_option("prefs", {"download.default_directory": DOWNLOADS,
                                              "download.prompt_for_download": False})
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1366,900",
                     "--lang=vi", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    browser.set_page_load_timeout(WAIT)
    return browser


driver = new_browser()


def shot(name):
    """The whole page, not just the window: the window is stretched to the page's height."""
    driver.execute_script("window.scrollTo(0, 0)")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1366, max(900, min(int(height), 4000)))
    driver.save_screenshot(os.path.join(SCREENS, name + ".png"))
    driver.set_window_size(1366, 900)


def wait_until(condition, what):
    try:
        # A page redraws its rows when an answer arrives: an element read a moment before
        # may be gone, which means "look again", not failure.
        return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        shot("failed-" + what.replace(" ", "-")[:40])
        raise AssertionError("timed out waiting for " + what) from None


def visible(css):
    return wait_until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)), css)


def text_of(css):
    return driver.find_element(By.CSS_SELECTOR, css).text


def shows(css, words):
    """Waits until the element's text holds `words`: a page redraws after its answer arrives."""
    try:
        WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: words in d.find_element(By.CSS_SELECTOR, css).text)
    except TimeoutException:
        shot("failed-" + css.strip("#.")[:40])
        raise AssertionError(css + " never showed " + repr(words) + "; it shows: " + repr(text_of(css))) from None


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def g22(path):
    """G22's backend API, as its iDesk reads it."""
    request = urllib.request.Request(G22 + path, headers={"Authorization": "Bearer " + G22_TOKEN})
    with urllib.request.urlopen(request, timeout=WAIT) as answer:
        return json.load(answer)


def g22_task(code):
    return g22("/api/v1/tasks/" + urllib.parse.quote(code, safe=""))


def eventually(read, predicate, what):
    """What `read` returns once `predicate` holds of it, polling the other connector."""
    deadline = time.monotonic() + WAIT
    last = None
    while time.monotonic() < deadline:
        last = read()
        if predicate(last):
            return last
        time.sleep(0.2)  # polling the other connector, not timing anything
    raise AssertionError("never saw " + what + "; last: " + str(last))


def eventually_at_g22(code, predicate, what):
    return eventually(lambda: g22_task(code), predicate, "at G22 " + what)


CODES = {}  # "#1".."#4" → the full task code, from G22's list of what it assigned
for issued in g22("/api/v1/tasks?side=issued")["tasks"]:
    CODES[issued["code"][issued["code"].rindex("#"):]] = issued["code"]


def task_url(short):
    return H20 + "/ui/task.html?code=" + urllib.parse.quote(CODES[short], safe="")


def log_in(name, secret=None):
    driver.get(H20 + "/ui/login.html")
    visible("#name").clear()
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password(name) if secret is None else secret)
    driver.find_element(By.ID, "login-button").click()


def log_in_and_wait(name):
    log_in(name)
    wait_until(ec.url_contains("/ui/tasks.html"), "the task list after logging in as " + name)
    wait_until(lambda d: name in d.find_element(By.ID, "who").text, "the header naming " + name)


def log_out():
    visible("#logout").click()
    wait_until(ec.url_contains("/ui/login.html"), "the login page after logging out")


def rows():
    # Loaded: the summary counts the tasks ("N nhiệm vụ"). Empty, the page's script has not
    # started the call yet (a freshly opened page), and no row is there to read.
    wait_until(lambda d: "nhiệm vụ" in d.find_element(By.ID, "summary").text and
               "Đang tải" not in d.find_element(By.ID, "summary").text, "the list")
    return driver.find_elements(By.CSS_SELECTOR, "#task-rows tr[data-code]")


def row_codes():
    return sorted(row.get_attribute("data-code") for row in rows())


def no_alert():
    try:
        driver.switch_to.alert.dismiss()
        return False
    except NoAlertPresentException:
        return True


def act(short, action, fill=None, shot_name=None):
    """Opens the task page, clicks the action, fills the dialog, confirms, waits for the answer."""
    driver.get(task_url(short))
    visible("#action-" + action).click()
    visible("#confirm")
    if fill:
        fill()
    if shot_name:
        shot(shot_name)
    driver.find_element(By.ID, "confirm-ok").click()
    wait_until(lambda d: d.find_element(By.ID, "action-result").text.startswith("Đã gửi"),
               "the answer to " + action + " on " + short)


# --- the checks, in order ---

def check_the_home_page_asks_for_a_login():
    driver.get(H20 + "/")
    wait_until(ec.url_contains("/ui/login.html?next="), "the login page")
    expect(driver.title.startswith("Đăng nhập"), "title: " + driver.title)
    shot("login")


def check_a_wrong_password_is_refused_in_words():
    log_in("van-thu.skhcn", "not-the-password")
    error = visible("#login-error")
    expect(error.text == "Tên đăng nhập hoặc mật khẩu không đúng.", "error: " + error.text)
    expect("/ui/login.html" in driver.current_url, "left the login page")
    shot("login-wrong-password")


def check_a_clerk_sees_the_tasks_of_their_unit():
    log_in_and_wait("van-thu.skhcn")
    expect(row_codes() == sorted([CODES["#1"], CODES["#2"], CODES["#3"]]),
           "rows: " + str(row_codes()))
    expect("Chuyên viên" in text_of("#who"), "role in the header: " + text_of("#who"))
    chips = wait_until(lambda d: d.find_elements(By.CSS_SELECTOR, "#counts .chip"), "the counts")
    expect([c.text for c in chips] == ["Tất cả (3)", "Trong hạn (2)", "Quá hạn (1)"],
           "counts: " + str([c.text for c in chips]))
    shot("tasks")


def check_a_title_holding_markup_is_shown_as_text():
    row = driver.find_element(By.CSS_SELECTOR, "tr[data-code='" + CODES["#2"] + "']")
    expect(row.find_element(By.CSS_SELECTOR, ".task-title").text == "<img src=x onerror=alert(1)>",
           "title: " + row.text)
    expect(not driver.find_elements(By.CSS_SELECTOR, "#task-rows img"), "an <img> was made")
    expect(no_alert(), "the markup's script ran")
    driver.get(task_url("#2"))
    expect(visible("#task-title").text == "<img src=x onerror=alert(1)>", "task page title")
    expect(not driver.find_elements(By.CSS_SELECTOR, "#task img") and no_alert(), "markup ran")
    shot("task-markup-title")


def check_overdue_tasks_carry_a_badge():
    driver.get(H20 + "/ui/tasks.html")
    row = next(r for r in rows() if r.get_attribute("data-code") == CODES["#3"])
    expect("Quá hạn" in row.text, "row: " + row.text)


def check_the_search_ignores_diacritics():
    for typed, expected in (("dong thap", ["#1"]), ("qua han", ["#3"]), ("PHÂN HỆ", ["#1"]),
                            ("khong co dau", [])):
        driver.get(H20 + "/ui/tasks.html")
        rows()  # loaded: the page fills the form from the address once, then no more
        box = visible("#q")
        box.clear()
        box.send_keys(typed)
        driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
        wait_until(ec.url_contains("q="), "the search in the address")
        expect(row_codes() == sorted(CODES[c] for c in expected), typed + ": " + str(row_codes()))
        if typed == "dong thap":
            shot("tasks-search")


def check_the_filters_narrow_the_list():
    driver.get(H20 + "/ui/tasks.html")
    rows()
    Select(visible("#timeliness")).select_by_value("open_overdue")
    driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait_until(ec.url_contains("timeliness=open_overdue"), "the filter in the address")
    expect(row_codes() == [CODES["#3"]], "overdue: " + str(row_codes()))
    shot("tasks-filtered")


def check_the_task_page_shows_the_assignment():
    driver.get(task_url("#1"))
    expect("phân hệ theo dõi nhiệm vụ" in visible("#task-title").text, "title")
    expect(text_of("#task-lead") == "Sở Khoa học và Công nghệ", "lead: " + text_of("#task-lead"))
    expect(text_of("#task-coordinating") == "Văn phòng UBND Tỉnh",
           "coordinating: " + text_of("#task-coordinating"))
    expect(text_of("#task-due") == "31/12/2030 (Quý IV năm 2030)", "due: " + text_of("#task-due"))
    expect(text_of("#task-document").startswith("Số 15/TB-VPCP ngày "),
           "document: " + text_of("#task-document"))
    expect("Trục liên thông" in text_of("#task-content"), "content")
    expect("Giao nhiệm vụ" in text_of("#history"), "history: " + text_of("#history"))
    shot("task")


def check_accepting_sends_03_to_the_assigner():
    act("#1", "accept", shot_name="task-confirm-accept")
    shows("#task-status", "Đã tiếp nhận")
    eventually_at_g22(CODES["#1"], lambda t: t["status"] == "03", "03 on #1")


def check_assigning_to_a_unit_sends_04():
    def choose():
        units = Select(visible("#field-units"))
        units.select_by_value("000.00.14.H20")
    act("#1", "assign", choose, "task-confirm-assign")
    eventually_at_g22(CODES["#1"], lambda t: t["status"] == "04", "04 on #1")


def check_a_progress_report_sends_05_with_its_percentage():
    def fill():
        percent = visible("#field-percent")
        percent.clear()
        percent.send_keys("40")
        driver.find_element(By.ID, "field-note").send_keys("Đã xây dựng xong dự thảo kế hoạch")
    act("#1", "progress", fill, "task-confirm-progress")
    shows("#task-progress", "40%")
    task = eventually_at_g22(CODES["#1"], lambda t: t["status"] == "05" and t["progress"] == 40,
                             "05 at 40 % on #1")
    expect(task["progressNote"] == "Đã xây dựng xong dự thảo kế hoạch", "note: " + task["progressNote"])
    shot("task-after-report")


def check_a_refusal_needs_a_reason_and_sends_02():
    driver.get(task_url("#2"))
    visible("#action-refuse").click()
    visible("#confirm")
    driver.find_element(By.ID, "confirm-ok").click()
    error = visible("#confirm-error")
    expect(error.text == "Vui lòng nhập lý do từ chối.", "error: " + error.text)
    driver.find_element(By.ID, "field-note").send_keys("Không thuộc chức năng, nhiệm vụ của Sở")
    shot("task-confirm-refuse")
    driver.find_element(By.ID, "confirm-ok").click()
    wait_until(lambda d: d.find_element(By.ID, "action-result").text.startswith("Đã gửi"), "02")
    eventually_at_g22(CODES["#2"], lambda t: t["status"] == "02", "02 on #2")
    shows("#task-badges", "Bị từ chối")
    expect(not driver.find_elements(By.CSS_SELECTOR, "#actions button"), "actions on a closed task")


def check_completing_sends_06():
    act("#1", "finish", shot_name="task-confirm-finish")
    eventually_at_g22(CODES["#1"], lambda t: t["status"] == "06" and t["progress"] == 100, "06")
    shows("#task-badges", "Hoàn thành đúng hạn")


def check_another_units_task_is_403():
    driver.get(task_url("#4"))
    expect(visible("#forbidden h1").text == "Không có quyền truy cập", "no 403 page")
    expect(not driver.find_elements(By.ID, "task-title") or
           not driver.find_element(By.ID, "task-title").text, "the task was shown")
    shot("forbidden")


def check_a_write_without_the_csrf_token_is_refused():
    driver.get(H20 + "/ui/tasks.html")
    rows()
    status = driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
           fetch(arguments[0], {method: "POST", headers: {"Content-Type": "application/json"},
                                body: JSON.stringify({status: "03"})})
             .then((r) => done(r.status), () => done(-1));""",
        "/api/v1/tasks/" + urllib.parse.quote(CODES["#3"], safe="") + "/reports")
    expect(status == 403, "status: " + str(status))
    expect(g22_task(CODES["#3"])["status"] == "01", "the write went through")


def check_logging_out_ends_the_session():
    log_out()
    shot("logged-out")
    driver.get(H20 + "/ui/tasks.html")
    wait_until(ec.url_contains("/ui/login.html"), "the login page after the session ended")


def check_the_other_clerk_sees_only_their_unit():
    log_in_and_wait("van-thu.svhttdl")
    expect(row_codes() == [CODES["#4"]], "rows: " + str(row_codes()))
    driver.get(task_url("#1"))
    visible("#forbidden")
    log_out()


def check_a_leader_sees_everything_and_acts_on_nothing():
    log_in_and_wait("lanh-dao")
    expect(len(rows()) == 4, "rows: " + str(row_codes()))
    shot("tasks-leader")
    driver.get(task_url("#3"))
    visible("#task-title")
    expect(not driver.find_elements(By.CSS_SELECTOR, "#actions button"), "a leader has actions")
    expect("chỉ được xem" in text_of("#actions"), "actions: " + text_of("#actions"))
    shot("task-leader")


def check_the_dashboard_counts_by_unit():
    visible("#nav-dashboard").click()
    wait_until(ec.url_contains("/ui/dashboard.html"), "the dashboard")
    wait_until(lambda d: d.find_element(By.CSS_SELECTOR, "#card-all .card-value").text == "4",
               "four tasks in all")
    expect(text_of("#card-open_overdue .card-value") == "1", "overdue: " + text_of("#cards"))
    expect(text_of("#card-done_on_time .card-value") == "1", "done: " + text_of("#cards"))
    expect(text_of("#card-rate .card-value") == "100%", "rate: " + text_of("#cards"))
    units = text_of("#by-unit")
    expect("Sở Khoa học và Công nghệ" in units and "Sở Văn hóa" in units, "units: " + units)
    bars = driver.find_elements(By.CSS_SELECTOR, "#unit-chart rect.seg-open_overdue")
    expect(len(bars) == 1, "overdue segments in the chart: " + str(len(bars)))
    expect("quá hạn" in text_of("#longest-overdue") and "Rà soát" in text_of("#longest-overdue"),
           "longest overdue: " + text_of("#longest-overdue"))
    shot("dashboard")


def downloaded(prefix, suffix):
    def found(_):
        names = [n for n in os.listdir(DOWNLOADS) if n.startswith(prefix) and n.endswith(suffix)]
        return names[0] if names else False
    return os.path.join(DOWNLOADS, wait_until(found, "the download of " + prefix + "*" + suffix))


def check_the_exports_download_and_open():
    import csv
    import openpyxl

    visible("#export-tasks-csv").click()
    with open(downloaded("nhiem-vu-tasks-", ".csv"), encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    expect(table[0][:3] == ["Mã nhiệm vụ", "Tên nhiệm vụ", "Văn bản giao"], "header: " + str(table[0]))
    expect(len(table) == 5, "rows: " + str(len(table)))
    titles = {row[1] for row in table[1:]}
    expect("<img src=x onerror=alert(1)>" in titles, "titles: " + str(titles))
    expect(any("Đồng Tháp" in title for title in titles), "Vietnamese text: " + str(titles))
    driver.find_element(By.ID, "export-summary-xlsx").click()
    workbook = openpyxl.load_workbook(downloaded("nhiem-vu-summary-", ".xlsx"))
    expect(workbook.sheetnames == ["Theo đơn vị chủ trì", "Theo văn bản giao", "Nhiệm vụ"],
           "sheets: " + str(workbook.sheetnames))
    tasks = list(workbook["Nhiệm vụ"].iter_rows(values_only=True))
    expect(len(tasks) == 5 and tasks[0][0] == "Mã nhiệm vụ", "task sheet: " + str(tasks[:2]))
    units = {row[1]: row[2] for row in workbook["Theo đơn vị chủ trì"].iter_rows(min_row=2, values_only=True)}
    expect(units.get("Sở Khoa học và Công nghệ") == 3, "units sheet: " + str(units))


def check_the_report_prints():
    visible("#print-link").click()
    wait_until(ec.url_contains("/ui/report.html"), "the report")
    expect(visible("h1").text.lower() == "báo cáo tình hình thực hiện nhiệm vụ", "title")
    wait_until(lambda d: "Rà soát hồ sơ quá hạn" in d.find_element(By.ID, "report-overdue").text,
               "the overdue task in the report")
    shot("report")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    expect(not driver.find_element(By.ID, "top").is_displayed(), "the header is printed")
    expect(not driver.find_element(By.ID, "print").is_displayed(), "the print button is printed")
    shot("report-print")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    log_out()


def h20_tasks():
    """H20's task list as its CLI prints it (code, title, status, …, tab-separated)."""
    import subprocess
    return subprocess.run([os.environ["UI_CONNECTOR"], "task", "list", "--config",
                           os.path.join(WORK, "h20.conf")], capture_output=True, text=True,
                          check=True).stdout


def eventually_at_h20(predicate, what):
    return eventually(h20_tasks, predicate, "at H20 " + what)


def check_a_department_clerk_cannot_assign():
    log_in_and_wait("van-thu.skhcn")
    expect(not driver.find_elements(By.ID, "nav-assign"), "a department's clerk has Giao nhiệm vụ")
    driver.get(H20 + "/ui/assign.html")
    expect("Chỉ văn thư của cơ quan" in visible("#forbidden").text, "no 403 on the assign page")
    log_out()


def check_the_agency_clerk_assigns_tasks():
    driver.get(G22 + "/ui/login.html")
    visible("#name").send_keys("van-thu.vpcp")
    driver.find_element(By.ID, "password").send_keys(password("van-thu.vpcp"))
    driver.find_element(By.ID, "login-button").click()
    visible("#nav-assign").click()
    wait_until(ec.url_contains("/ui/assign.html"), "the assign page")
    visible("#doc-number").send_keys("27")
    driver.find_element(By.ID, "doc-notation").send_keys("TB-VPCP")
    driver.find_element(By.ID, "doc-subject").send_keys("Thông báo giao nhiệm vụ bổ sung về chuyển đổi số")
    driver.find_element(By.ID, "signer-name").send_keys("Trần Văn Sơn")
    driver.find_element(By.CSS_SELECTOR, "#assign-form button[type=submit]").click()
    error = visible("#assign-error")
    expect(error.text == "Nhiệm vụ 1: vui lòng nhập tên nhiệm vụ.", "error: " + error.text)
    first = driver.find_element(By.CSS_SELECTOR, "[data-task='1']")
    first.find_element(By.CSS_SELECTOR, ".task-title").send_keys("Số hóa hồ sơ lưu trữ của Sở Văn hóa, Thể thao và Du lịch")
    Select(first.find_element(By.CSS_SELECTOR, ".task-lead")).select_by_value("000.00.22.H20")
    Select(first.find_element(By.CSS_SELECTOR, ".task-coordinating")).select_by_value("000.00.14.H20")
    first.find_element(By.CSS_SELECTOR, ".task-due-text").send_keys("Quý II năm 2031")
    driver.find_element(By.ID, "add-task").click()
    second = visible("[data-task='2']")
    second.find_element(By.CSS_SELECTOR, ".task-title").send_keys("Báo cáo kết quả số hóa")
    Select(second.find_element(By.CSS_SELECTOR, ".task-lead")).select_by_value("000.00.22.H20")
    driver.find_element(By.CSS_SELECTOR, "#assign-form button[type=submit]").click()
    summary = visible("#assign-summary")
    expect(summary.text.startswith("Giao 2 nhiệm vụ theo văn bản số 27/TB-VPCP"), "summary: " + summary.text)
    shot("assign-confirm")
    driver.find_element(By.ID, "assign-ok").click()
    result = wait_until(lambda d: d.find_element(By.ID, "assign-result").text.startswith("Đã giao 2"),
                        "the assignment's answer")
    shot("assign-done")
    eventually_at_h20(lambda listed: listed.count("27/TB-VPCP") == 2, "the two tasks of 27/TB-VPCP")
    return result


def check_the_agency_clerk_amends_a_task():
    visible("#assigned-list").click()
    wait_until(ec.url_contains("side=issued"), "the issued tasks")
    row = next(r for r in rows() if "27/TB-VPCP" in r.get_attribute("data-code") and
               "Báo cáo kết quả" in r.text)
    row.find_element(By.CSS_SELECTOR, ".task-title").click()
    visible("#action-amend").click()
    visible("#confirm")
    driver.find_element(By.ID, "field-note").send_keys("Bổ sung số liệu theo chỉ đạo")
    driver.find_element(By.ID, "confirm-ok").click()
    expect(visible("#confirm-error").text == "Chưa có nội dung nào thay đổi.", "an empty amendment sent")
    title = driver.find_element(By.ID, "field-title")
    title.send_keys(" (bổ sung số liệu)")
    driver.find_element(By.ID, "field-due-text").send_keys("Quý III năm 2031")
    shot("task-confirm-amend")
    driver.find_element(By.ID, "confirm-ok").click()
    wait_until(lambda d: d.find_element(By.ID, "action-result").text.startswith("Đã gửi"),
               "the amendment's answer")
    wait_until(lambda d: "(bổ sung số liệu)" in d.find_element(By.ID, "task-title").text, "the new title")
    history = visible("#history").text
    expect("Điều chỉnh" in history and "van-thu.vpcp" in history, "history: " + history)
    shows("#task-due", "Quý III năm 2031")
    deliveries = visible("#deliveries").text
    expect("Sở Văn hóa, Thể thao và Du lịch" in deliveries, "deliveries: " + deliveries)
    links = driver.find_elements(By.CSS_SELECTOR, "#history a.package-link")
    expect(len(links) >= 2, "the history links its packages")
    shot("task-amended")
    links[-1].click()  # the amendment's package, as it was signed and sent
    with open(downloaded("goi-tin-", ".xml"), encoding="utf-8") as file:
        package = file.read()
    expect("Bổ sung số liệu theo chỉ đạo" in package and "edXMLEnvelope" in package,
           "the package: " + package[:200])
    eventually_at_h20(lambda listed: "Báo cáo kết quả số hóa (bổ sung số liệu)" in listed,
                      "the amended title")


def check_revoking_withdraws_the_document_at_both_ends():
    driver.get(G22 + "/ui/tasks.html?side=issued")
    row = next(r for r in rows() if "27/TB-VPCP" in r.get_attribute("data-code") and
               "Số hóa hồ sơ" in r.text)
    row.find_element(By.CSS_SELECTOR, ".task-title").click()
    visible("#action-revoke").click()
    visible("#confirm")
    driver.find_element(By.ID, "confirm-ok").click()
    expect(visible("#confirm-error").text == "Vui lòng nhập lý do thu hồi.", "no reason asked")
    driver.find_element(By.ID, "field-note").send_keys("Giao trùng với văn bản số 15/TB-VPCP")
    shot("task-confirm-revoke")
    driver.find_element(By.ID, "confirm-ok").click()
    wait_until(lambda d: "Đã thu hồi" in d.find_element(By.ID, "task-badges").text, "the withdrawn badge")
    eventually_at_h20(lambda listed: all("Đã thu hồi" in line for line in listed.splitlines()
                                         if "27/TB-VPCP" in line),
                      "the tasks of 27/TB-VPCP withdrawn")
    visible("#logout").click()
    wait_until(ec.url_contains("/ui/login.html"), "G22's login page")


# --- the auditors' pages (issue 16) ---

AUDITOR_PAGES = ["/ui/messages.html", "/ui/message.html?sequence=1", "/ui/integrity.html",
                 "/ui/audit-events.html"]


def connector_cli(*args, check=True):
    import subprocess
    return subprocess.run([os.environ["UI_CONNECTOR"], *args], capture_output=True, check=check)


def g22_sent_assignment():
    """What G22 logged as sent for its first assignment (one package per recipient unit):
    ([sequences], DocumentId)."""
    found = json.loads(connector_cli("audit", "messages", "--config", os.path.join(WORK, "g22.conf"),
                                     "--direction", "outbound", "--kind", "edoc",
                                     "--json").stdout)["messages"]
    first = [m for m in found if "15/TB-VPCP" in m["documentId"]]
    expect(first, "G22 logged no 15/TB-VPCP: " + str(found))
    return [m["sequence"] for m in first], first[0]["documentId"]


def check_a_clerk_gets_403_on_every_auditor_page():
    log_in_and_wait("van-thu.skhcn")
    expect(not driver.find_elements(By.ID, "nav-messages"), "a clerk sees the auditors' menu")
    for page in AUDITOR_PAGES:
        driver.get(H20 + page)
        expect(visible("#forbidden h1").text == "Không có quyền truy cập", "no 403 on " + page)
    shot("auditor-page-clerk-403")
    log_out()


def message_rows():
    wait_until(lambda d: d.find_element(By.ID, "summary").text.startswith("Tìm thấy"), "the log")
    return driver.find_elements(By.CSS_SELECTOR, "#message-rows tr[data-sequence]")


def check_an_auditor_searches_the_log_by_document_id_and_verdict():
    log_in_and_wait("kiem-toan")
    visible("#nav-messages").click()
    wait_until(ec.url_contains("/ui/messages.html"), "the message log")
    expect(len(message_rows()) >= 5, "rows: " + str(len(message_rows())))
    shot("auditor-messages")
    _, document_id = g22_sent_assignment()
    visible("#documentId").send_keys(document_id)
    driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait_until(lambda d: "documentId=" in d.current_url, "the filtered log")
    found = message_rows()
    expect(found and all(document_id in row.text for row in found), "rows: " + str([r.text for r in found]))
    expect(any("Nhận" in row.text and "Hợp lệ" in row.text for row in found),
           "no valid inbound: " + str([r.text for r in found]))
    Select(driver.find_element(By.ID, "verdict")).select_by_value("valid")
    driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait_until(lambda d: "verdict=valid" in d.current_url, "the log by verdict")
    found = message_rows()
    expect(found and all("Hợp lệ" in row.text for row in found), "rows: " + str([r.text for r in found]))
    shot("auditor-messages-filtered")


def check_an_auditor_opens_a_message_and_downloads_its_bytes():
    sent_sequences, _ = g22_sent_assignment()
    # The first package received (the one that created the tasks): the oldest row.
    link = [row for row in message_rows() if "Nhận" in row.text and "Văn bản" in row.text][-1]
    sequence = link.get_attribute("data-sequence")
    link.find_element(By.CSS_SELECTOR, "a.message-link").click()
    wait_until(ec.url_contains("/ui/message.html"), "the message page")
    expect("Chữ ký số hợp lệ" in visible("#verdict-words").text, "verdict: " + text_of("#verdict"))
    wait_until(lambda d: "edXMLEnvelope" in d.find_element(By.ID, "xml").text, "the XML")
    expect("000.00.00.G22" in text_of("#signer"), "signer: " + text_of("#signer"))
    expect(text_of("#tasks").count("#") >= 3, "tasks: " + text_of("#tasks"))
    expect(text_of("#chain").count("Băm") == 2, "chain: " + text_of("#chain"))
    expect(not driver.find_elements(By.CSS_SELECTOR, "#xml img, #xml script"), "markup in the XML view")
    shot("auditor-message")
    for earlier in os.listdir(DOWNLOADS):  # the task pages' downloads have such names too
        if earlier.startswith("goi-tin-"):
            os.remove(os.path.join(DOWNLOADS, earlier))
    driver.find_element(By.ID, "download").click()
    with open(downloaded("goi-tin-" + sequence + ".", ".xml"), "rb") as file:
        received = file.read()
    sent = [connector_cli("audit", "show", str(sequence), "--raw", "--config",
                          os.path.join(WORK, "g22.conf")).stdout for sequence in sent_sequences]
    expect(received in sent, "the bytes received (%d) are none of those G22 sent (%s)"
           % (len(received), [len(package) for package in sent]))


def check_an_auditor_exports_an_evidence_bundle():
    driver.find_element(By.ID, "export").click()
    wait_until(lambda d: d.find_element(By.ID, "export-result").text.startswith("Đã tạo"), "the bundle")
    bundle = downloaded("chung-cu-", ".zip")
    verified = connector_cli("audit", "verify-bundle", bundle, "--trust",
                             os.path.join(os.environ["UI_PKI"], "anchors"), check=False)
    expect(verified.returncode == 0 and b"bundle intact" in verified.stdout,
           "verify-bundle: " + verified.stdout.decode() + verified.stderr.decode())
    shot("auditor-message-exported")


def run_integrity_check(expected):
    driver.get(H20 + "/ui/integrity.html")
    visible("#run").click()
    return wait_until(lambda d: d.find_elements(By.ID, "state") and
                      d.find_element(By.ID, "state").text.startswith(expected) and
                      d.find_element(By.ID, "state"), "the integrity check: " + expected)


def check_the_integrity_check_is_intact_then_names_a_tampered_row():
    import sqlite3
    run_integrity_check("Toàn vẹn")
    expect("nguyên vẹn" in text_of("#result"), "result: " + text_of("#result"))
    shot("auditor-integrity-intact")
    database = sqlite3.connect(os.path.join(WORK, "h20.db"), timeout=30)
    (subject,) = database.execute("SELECT subject FROM messages WHERE sequence = 2").fetchone()
    with database:
        database.execute("UPDATE messages SET subject = ? WHERE sequence = 2", (subject + " (sửa)",))
    try:
        run_integrity_check("PHÁT HIỆN")
        expect(text_of("#first-bad-messages") == "2", "broken entry: " + text_of("#result"))
        shot("auditor-integrity-broken")
    finally:
        with database:
            database.execute("UPDATE messages SET subject = ? WHERE sequence = 2", (subject,))
        database.close()


def check_the_admin_actions_chain_is_filtered():
    driver.get(H20 + "/ui/audit-events.html")
    wait_until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#event-rows tr")) > 1, "the events")
    Select(driver.find_element(By.ID, "action")).select_by_value("USER_ADDED")
    driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait_until(lambda d: all("Thêm người dùng" in r.text
                             for r in d.find_elements(By.CSS_SELECTOR, "#event-rows tr")),
               "only the users added")
    expect("kiem-toan" in text_of("#event-rows"), "events: " + text_of("#event-rows"))
    shot("auditor-audit-events")
    log_out()


# --- the admins' diagnostics (issue 17) ---

def check_an_auditor_has_no_diagnostics():
    log_in_and_wait("kiem-toan")
    expect(not driver.find_elements(By.ID, "nav-diagnostics"), "an auditor sees the diagnostics menu")
    driver.get(H20 + "/ui/diagnostics.html")
    expect(visible("#forbidden h1").text == "Không có quyền truy cập", "no 403 for an auditor")
    expect("quản trị hệ thống" in text_of("#forbidden"), "the 403 says not who may: " + text_of("#forbidden"))
    log_out()


def diagnosis(name):
    item = driver.find_element(By.ID, "check-" + name)
    return item.get_attribute("class").split()[-1], item.text


def check_an_admin_runs_the_diagnostics():
    log_in_and_wait("quan-tri")
    visible("#nav-diagnostics").click()
    wait_until(ec.url_contains("/ui/diagnostics.html"), "the diagnostics page")
    summary = wait_until(lambda d: d.find_elements(By.ID, "summary") and d.find_element(By.ID, "summary"),
                         "the checks")
    # H20 checks no CRL: it works, with one thing to act on.
    expect(summary.text == "Hệ thống vẫn hoạt động, nhưng có mục cần xử lý sớm.", "summary: " + summary.text)
    items = driver.find_elements(By.CSS_SELECTOR, "#checks li")
    expect(len(items) == 9, "checks: " + str([item.text for item in items]))
    for name in ("configuration", "database", "axis", "clock", "signing", "trust-anchors", "webhook",
                 "readiness"):
        outcome, text = diagnosis(name)
        expect(outcome == "check-ok" and "Bình thường" in text, name + ": " + text)
        expect("Cách xử lý" not in text, name + " has advice while ok: " + text)
    outcome, text = diagnosis("CRLs")
    expect(outcome == "check-warning" and "Cần xử lý sớm" in text, "CRLs: " + text)
    expect("Cách xử lý: set verify.crl" in text, "no advice for the CRLs: " + text)
    expect("our HMAC is accepted" in diagnosis("axis")[1], "axis: " + diagnosis("axis")[1])
    expect("Danh sách thu hồi (CRL)" in text and "Đồng hồ" in diagnosis("clock")[1], "labels: " + text)
    expect(not driver.find_elements(By.ID, "readiness-banner"), "a readiness banner while ready")
    shot("admin-diagnostics")
    first = text_of("#summary + p")
    visible("#run").click()  # again: a new run, a new time
    wait_until(lambda d: d.find_element(By.ID, "run").is_enabled() and
               d.find_elements(By.CSS_SELECTOR, "#summary + p") and
               d.find_element(By.CSS_SELECTOR, "#summary + p").text.startswith("Kiểm tra lúc"), "the second run")
    expect(len(driver.find_elements(By.CSS_SELECTOR, "#checks li")) == 9, "the second run's checks")
    expect(first.startswith("Kiểm tra lúc"), "the time: " + first)
    log_out()


def check_five_wrong_passwords_lock_the_account():
    for attempt in range(5):
        log_in("kiem-soat", "wrong-password-" + str(attempt))
        wait_until(lambda d: d.find_element(By.ID, "login-error").is_displayed(), "an error")
    log_in("kiem-soat")  # the right password, too late
    error = wait_until(lambda d: d.find_element(By.ID, "login-error").is_displayed() and
                       d.find_element(By.ID, "login-error"), "the lockout")
    expect(error.text.startswith("Tài khoản tạm khóa"), "error: " + error.text)
    expect("/ui/login.html" in driver.current_url, "logged in while locked")
    shot("login-locked")


def main():
    failures = []
    checks = [(name, f) for name, f in globals().items() if name.startswith("check_")]
    for name, check in checks:
        try:
            check()
            print("ok   " + name)
        except Exception:  # noqa: BLE001 - every failure is reported, the rest still run
            failures.append(name)
            print("FAIL " + name)
            traceback.print_exc()
            try:
                shot("failed-" + name)
            except Exception:  # noqa: BLE001
                pass
    driver.quit()
    print(str(len(checks) - len(failures)) + " of " + str(len(checks)) + " browser checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
