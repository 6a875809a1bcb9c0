"""How long the feedback pages of a graded course are: bytes on disk and the
height headless Chromium lays each page out at (1200 px wide, as the
browser tests use; folds closed, as a student first sees the page).

    .venv/bin/bpkit demo --workdir /tmp/demo
    .venv/bin/python benchmarks/feedback_page_size.py /tmp/demo

Prints one line per page (student, assignment, KB, px) and, per
assignment, the smallest, median and largest height.  Nothing here is a
test: it prints numbers (compare two demo folders made by two checkouts).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
from pathlib import Path


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1800"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("course", type=Path, help="a graded course directory (e.g. bpkit demo's --workdir)")
    args = parser.parse_args()
    pages = sorted(p for p in (args.course / "feedback").glob("*/*/*.html"))
    heights: dict[str, list[int]] = {}
    driver = browser()
    try:
        for page in pages:
            driver.get(page.as_uri())
            height = driver.execute_script("return document.documentElement.scrollHeight")
            student, assignment = page.parent.parent.name, page.parent.name
            heights.setdefault(assignment, []).append(height)
            print(f"{student:10} {assignment:20} {page.stat().st_size / 1000:7.1f} KB {height:7d} px")
    finally:
        driver.quit()
    for assignment, values in sorted(heights.items()):
        print(f"{assignment:20} height min {min(values)} / median {statistics.median(values):.0f} / "
              f"max {max(values)} px ({len(values)} pages)")


if __name__ == "__main__":
    main()
