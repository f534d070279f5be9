"""Entry script of the PyInstaller bundle: the same as the ``inpaint-studio`` console script.

Kept tiny on purpose: everything (GUI by default, ``--self-test``, subcommands) is ``editor.cli.main``.
"""

import multiprocessing
import sys

from editor.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a no-op unless a frozen child process is being started
    sys.exit(main())
