"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live_server.

A failing test leaves a full-page screenshot of where it stopped in test-results/ (CI keeps
that folder as an artifact)."""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse the
# test's own (synchronous) database calls made while it is running.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class BrowserErrors:
    """What the browser logged as an error (console.error, failed loads, uncaught exceptions).

    A test that loads an error page on purpose (a revoked link's 404) says so with `expect`,
    as narrowly as it can; an expected error that never came fails the test as well."""

    def __init__(self):
        self.seen: list[str] = []
        self.expected: list[str] = []

    def expect(self, pattern: str) -> None:
        self.expected.append(pattern)

    def problems(self) -> list[str]:
        unexpected = [
            error
            for error in self.seen
            if not any(re.search(pattern, error) for pattern in self.expected)
        ]
        missing = [
            f"expected but not logged: {pattern}"
            for pattern in self.expected
            if not any(re.search(pattern, error) for error in self.seen)
        ]
        return unexpected + missing


@pytest.fixture
def browser_errors():
    return BrowserErrors()


@pytest.fixture
def new_context(browser, browser_errors, request):
    """Open browser contexts for a test (the `page` fixture's and any a test opens itself).

    Every console message of type error and every uncaught page error in any of them fails the
    test at teardown, listed with the page it came from: a page that works but logs an error (a
    bad htmx attribute, a script the Content-Security-Policy refuses) is a defect, not noise."""
    contexts = []

    def on_console(message):
        if message.type == "error":
            browser_errors.seen.append(f"console error at {url_of(message.page)}: {message.text}")

    def on_page_error(error):
        browser_errors.seen.append(f"page error at {url_of(error.page)}: {error.error}")

    def open_context(**options):
        options.setdefault("viewport", {"width": 1440, "height": 900})
        context = browser.new_context(**options)
        context.on("console", on_console)
        context.on("weberror", on_page_error)
        contexts.append(context)
        return context

    yield open_context
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    if failed:
        save_screenshots([page for context in contexts for page in context.pages], request)
    for context in contexts:
        context.close()
    problems = browser_errors.problems()
    if problems:
        listed = "The browser logged errors:\n" + "\n".join(problems)
        if failed:  # the test's own failure comes first; these may explain it
            print(listed)
        else:
            pytest.fail(listed, pytrace=False)


def url_of(page):
    return page.url if page is not None else "(no page)"


# Screenshots keep the caret as it is (caret="initial"): Playwright hides it by injecting a
# <style>, which the pages' Content-Security-Policy refuses, and every console error fails a test.
def save_screenshots(pages, request):
    ARTIFACTS.mkdir(exist_ok=True)
    nodeid = request.node.nodeid
    name = re.sub(r"[^\w.-]+", "_", nodeid)[-150:]
    for i, page in enumerate(pages):
        suffix = f"-{i}" if i else ""
        try:
            page.screenshot(
                caret="initial", path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True
            )
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"No screenshot for {nodeid}: {exc}")


@pytest.fixture
def page(new_context):
    page = new_context().new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def login(page, live_server):
    """Log in through the login form; returns a function that does it for a user."""

    def log_in(username: str, password: str, next_path: str = "/orders/"):
        page.goto(f"{live_server.url}{next_path}")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}{next_path}")
        return page

    return log_in
