#!/usr/bin/python3
"""An admin's pages on a daemon that is not ready (tests/cli/doctor.sh runs it while its
daemon has an expired signing certificate): every page carries the banner that says why,
with the way to the diagnostics, and the diagnostics page shows the signing check broken.

    readiness_banner.py URL USER PASSWORD_FILE SCREENSHOT
"""
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

url, user, password_file, screenshot = sys.argv[1:5]
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1366,900",
                 "--lang=vi", "--disable-dev-shm-usage"):
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 30)
try:
    driver.get(url + "/ui/login.html")
    wait.until(ec.visibility_of_element_located((By.ID, "name"))).send_keys(user)
    with open(password_file, encoding="utf-8") as file:
        driver.find_element(By.ID, "password").send_keys(file.read().strip())
    driver.find_element(By.ID, "login-button").click()
    wait.until(ec.url_contains("/ui/tasks.html"))
    banner = wait.until(ec.visibility_of_element_located((By.ID, "readiness-banner")))
    assert banner.text.startswith("Bộ kết nối chưa sẵn sàng: "), banner.text
    assert "the signing certificate has expired" in banner.text, banner.text
    banner.find_element(By.LINK_TEXT, "Xem chẩn đoán hệ thống").click()
    wait.until(ec.url_contains("/ui/diagnostics.html"))
    summary = wait.until(ec.visibility_of_element_located((By.ID, "summary")))
    assert summary.text.startswith("CÓ THÀNH PHẦN BỊ LỖI"), summary.text
    signing = driver.find_element(By.ID, "check-signing")
    assert "check-broken" in signing.get_attribute("class").split(), signing.get_attribute("class")
    assert "Cách xử lý: renew it with the CA now" in signing.text, signing.text
    readiness = driver.find_element(By.ID, "check-readiness")
    assert "check-broken" in readiness.get_attribute("class").split(), readiness.text
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1366, max(900, height))
    driver.save_screenshot(screenshot)
    print("readiness banner: all checks passed")
finally:
    driver.quit()
