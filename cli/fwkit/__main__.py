"""`python -m fwkit` runs the CLI (the form the Docker image and the cloud bootstrap also use)."""

from fwkit.cli import main

if __name__ == "__main__":
    main()
