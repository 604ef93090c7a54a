"""Pre-generation hook: refuse bad inputs with one clear line before anything is written.

Cookiecutter renders this file with Jinja; the values are embedded once, as JSON, and read back
as data (`json.loads`) — never spliced into code. On exit 1 cookiecutter deletes the folder it
has just created, so a refused run leaves nothing behind.
"""

import json
import sys
from pathlib import Path

CONTEXT = json.loads(r'''{{ cookiecutter | tojson }}''')

sys.path.insert(0, str(Path(CONTEXT["_repo_dir"]) / "hooks"))

from hubinputs import InputError, validate_context  # noqa: E402


def main() -> int:
    try:
        validate_context(CONTEXT)
    except InputError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
