"""``python -m glassbox report DATA.csv --target COL``."""

from __future__ import annotations

import sys

from .report._cli import main

if __name__ == "__main__":
    sys.exit(main())
