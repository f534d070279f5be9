"""``python -m editor`` and the ``inpaint-studio`` console script (:func:`run`): ``editor.cli.main``.

:func:`run` imports the command line itself, so that Ctrl+C during the first fraction of a second (numpy and
OpenCV loading) ends like any other interruption, with one line and exit code 130, not a traceback.
"""

import sys


def run() -> int:
    """The console script: ``editor.cli.main()``, with an interruption while it loads handled as its own."""
    try:
        from editor.cli import main
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130
    return main()


if __name__ == "__main__":
    sys.exit(run())
