#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    # Django's command runner swallows a settings error and fails later with a misleading
    # "Apps aren't loaded yet"; say what is wrong instead.
    try:
        settings.INSTALLED_APPS  # noqa: B018 (loads the settings)
    except ImproperlyConfigured as exc:
        sys.exit(
            f"Configuration error: {exc}\n"
            "For local work use make (it sets DEBUG=1), or export DEBUG=1; in production set "
            "SECRET_KEY (see README, Configuration)."
        )
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
