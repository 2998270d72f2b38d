"""The layout tells the architecture (STYLE.md): the product runs without devtools, and nothing
outside devtools, the tests and the settings mentions it."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = [
    "core",
    "backoffice",
    "catalog",
    "customers",
    "promotions",
    "orders",
    "payments",
    "invoicing",
    "shipping",
    "purchasing",
    "notifications",
    "reports",
]

# Top-level modules of the development lock (requirements/dev.txt): the product must not need
# any of them (production installs requirements/runtime.txt alone).
DEV_MODULES = [
    "aiosmtpd", "axe_playwright_python", "factory", "faker", "hypothesis", "importlinter",
    "pgserver", "playwright", "pypdf", "pytest", "pytest_django", "schemathesis", "tqdm",
    "xdist", "yaml",
]  # fmt: skip

IMPORT_EVERYTHING = """
import importlib, importlib.abc, os, pkgutil, sys

class NoDevPackages(importlib.abc.MetaPathFinder):
    blocked = set(os.environ["DEV_MODULES"].split(","))
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ImportError(f"{name} is a development package")
        return None

sys.meta_path.insert(0, NoDevPackages())
import django
django.setup()
from django.conf import settings
from django.core.management import get_commands
assert "devtools" not in settings.INSTALLED_APPS, settings.INSTALLED_APPS
assert not {"seed", "bench", "demo"} & set(get_commands()), "devtools commands are installed"
count = 0
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    for info in pkgutil.walk_packages(package.__path__, prefix=name + "."):
        importlib.import_module(info.name)
        count += 1
assert "devtools" not in sys.modules, "a product module imported devtools"
from django.core.management import call_command
call_command("check", "--deploy", "--fail-level", "ERROR")
print(count)
"""


def test_the_product_runs_in_production_without_devtools_or_any_development_package():
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (set in this process) is no production's.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "BACKOFFICE_DEVTOOLS": "0",
        "BACKOFFICE_TESTING": "0",
        "DEBUG": "0",
        "SECRET_KEY": "q7-" + "x1Y2z3W4v5U6t7S8r9Q0p1O2n3M4l5K6j7I8h9G0f1E2d3C4b5A6",
        "ALLOWED_HOSTS": "shop.example.com",
        "DEV_MODULES": ",".join(DEV_MODULES),
    }
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING, *PRODUCT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 100


def test_nothing_outside_devtools_tests_and_settings_imports_devtools():
    pattern = re.compile(r"^\s*(from|import)\s+devtools\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if pattern.search(path.read_text())
    ]
    assert offenders == []
