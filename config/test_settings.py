"""Settings for the test suite: the normal settings with the sandboxes on and tasks run inline."""
import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SANDBOX_ENABLED", "true")
os.environ.setdefault("ALLOW_HTTP_LOOPBACK", "true")

from config.settings import *  # noqa: E402,F401,F403
from config.settings import ALLOWED_HOSTS, HTTP_ALLOWED_HOSTS, Q_CLUSTER  # noqa: E402

Q_CLUSTER["sync"] = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The in-process sandboxes answer at http://sandbox.test (sandbox/transport.py).
ALLOWED_HOSTS += ["testserver", "sandbox.test"]
HTTP_ALLOWED_HOSTS += ["sandbox.test"]
