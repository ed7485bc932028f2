"""``python -m harness.cli``: the same as the ``botwebhook`` command."""

from __future__ import annotations

import sys

from harness._interrupt import exit_now, interrupted_early

try:
    from harness.cli import main
except KeyboardInterrupt:  # Ctrl-C while Python was still loading the command
    exit_now(interrupted_early(sys.argv[1:]))

exit_now(main())
