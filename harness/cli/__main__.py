"""``python -m harness.cli``: the same as the ``botwebhook`` command."""

from __future__ import annotations

from harness.cli import main

raise SystemExit(main())
