"""`python -m fwkit` runs the CLI (the form the Docker image and the cloud bootstrap also use).

The `fwkit` console script starts here too: Ctrl-C while the CLI's modules load (its first ~0.2 s)
exits 130 quietly, as a later stop does, instead of printing an import traceback.
"""

import sys


def main() -> None:
    try:
        from fwkit.cli import main as cli_main
    except KeyboardInterrupt:
        sys.exit(130)
    cli_main()


if __name__ == "__main__":
    main()
