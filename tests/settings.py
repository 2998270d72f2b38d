"""Test settings: the real services of this machine (Postgres, Redis) unless told otherwise."""

import os
import uuid

os.environ.setdefault("BACKOFFICE_TESTING", "1")
os.environ.setdefault("BACKOFFICE_DEVTOOLS", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/backoffice")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from backoffice.settings import *  # noqa: F403

# Fast hashing for test users; production keeps Django's default PBKDF2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Each test process gets its own cache namespace in the shared Redis (xdist workers have their
# own databases, so their user ids overlap).
CACHES["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"  # noqa: F405

# The fake Stripe server (tests/payments/fake_stripe.py) listens on a free local port.
STRIPE_API_ORIGINS = [*STRIPE_API_ORIGINS, "http://127.0.0.1"]  # noqa: F405
