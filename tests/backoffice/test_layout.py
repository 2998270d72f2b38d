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

IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
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
print(count)
"""


def test_every_product_module_imports_with_devtools_out_of_installed_apps():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "BACKOFFICE_DEVTOOLS": "0",
        "BACKOFFICE_TESTING": "0",
        "DEBUG": "1",
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
