"""``make lint``'s dependency audit: pip-audit on what the virtualenv has installed.

It asks PyPI's JSON API (pip-audit's default service) about every installed
distribution but the project itself, and fails on any known vulnerability
that ``ACCEPTED`` does not list, or on any distribution it could not audit.
Where that service cannot be reached at all (a machine whose proxy serves
only the package index), it says so in one line and audits nothing, as CI
does with PostgreSQL when none answers; it never reports "no
vulnerabilities" for packages it did not check.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from typing import Final

# A release's JSON, the kind of URL pip-audit asks for each distribution.
SERVICE: Final = "https://pypi.org/pypi/pip/24.0/json"
# Findings looked at and accepted: vulnerability id -> why. None so far;
# each entry also goes in docs/security.md.
ACCEPTED: Final[dict[str, str]] = {}


def service_answers() -> bool:
    """Whether pip-audit's vulnerability service answers from this machine."""
    try:
        with urllib.request.urlopen(SERVICE, timeout=10) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, TimeoutError, OSError):
        return False


def main() -> int:
    """Run pip-audit strictly, or say why it cannot run here."""
    if not service_answers():
        print(f"audit: skipped, {SERVICE} does not answer from this machine")
        return 0
    command = [sys.executable, "-m", "pip_audit", "--strict", "--skip-editable"]
    command += ["--progress-spinner", "off"]
    for vulnerability in ACCEPTED:
        command += ["--ignore-vuln", vulnerability]
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
