"""`python -m fwkit` runs the CLI (the form the Docker image and the cloud bootstrap also use).

The `fwkit` console script starts here too. A stop in the first moments, while the CLI's modules
load (~0.2 s), ends the process as a later stop does and without a traceback: Ctrl-C exits 130,
SIGTERM 143, SIGHUP 129 (a running job installs its own handlers, which stop it resumably).
"""

try:  # even these take a few ms at start (the signal module builds its enums)
    import signal
    import sys
except KeyboardInterrupt:
    raise SystemExit(130) from None


def _stop(signum: int, _frame: object) -> None:
    sys.exit(128 + signum)


def main() -> None:
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)
    try:
        from fwkit.cli import main as cli_main
    except KeyboardInterrupt:
        sys.exit(130)
    cli_main()


if __name__ == "__main__":
    main()
