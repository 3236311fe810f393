"""``python -m glassbox report DATA.csv --target COL``."""

import sys

from .report._cli import main

if __name__ == "__main__":
    sys.exit(main())
