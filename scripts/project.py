"""`make project`: `copier copy` that reports a refused answer as one line.

Copier raises a refused `-d` answer (a validator's message) as a ValueError, which its
command line prints as a 44 to 54 line traceback. This runs the same command line and prints
that message alone, with exit code 2 (a usage error); any other error passes through.

    python scripts/project.py [copier copy options] TEMPLATE DESTINATION
"""

from __future__ import annotations

import sys

from copier.__main__ import CopierApp  # the `copier` command's own entry point

# How Copier words a refused answer: a question's validator, and a choice's.
REFUSALS = ("Validation error for question '", "Invalid choice for '")


def main(argv: list[str]) -> int:
    try:
        CopierApp.run(["copier", "copy", *argv])
    except ValueError as error:
        if not str(error).startswith(REFUSALS):
            raise  # not a refused answer: Copier's own error, as Copier shows it
        # "Validation error for question 'machines': Give 1 to 1000 machines."
        print(f"Refused: {error}".splitlines()[0], file=sys.stderr)
        return 2
    return 0  # CopierApp.run exits with Copier's own code; this is not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
