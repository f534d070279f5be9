"""``python -m editor``: same as the ``inpaint-studio`` console script."""

import sys

from editor.cli import main

if __name__ == "__main__":
    sys.exit(main())
