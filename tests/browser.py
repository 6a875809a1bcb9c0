"""Helpers for tests that look at pages in a real browser (Chromium, as
`bash setup.sh` installs it) and keep screenshots in artifacts/."""
from __future__ import annotations

import shutil

from conftest import ROOT

ARTIFACTS = ROOT / "artifacts"


def chromium_driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "Chromium is missing: run `bash setup.sh` (it installs Debian's chromium)"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1200,1800"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)
