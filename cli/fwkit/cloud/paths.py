"""Where the Terraform code lives: in a checkout, the repo's `terraform/`; installed, the wheel's copy.

The wheel ships `terraform/` as `fwkit/terraform` (pyproject.toml, hatch `force-include`), so
`fwkit cloud` and `fwkit.cloud.sizing` read the same files in both cases.
"""

from __future__ import annotations

from pathlib import Path

from fwkit.errors import FwkitError

_PACKAGED = Path(__file__).resolve().parents[1] / "terraform"  # site-packages/fwkit/terraform
_CHECKOUT = Path(__file__).resolve().parents[3] / "terraform"  # <repo>/cli/fwkit/cloud/ -> <repo>


def terraform_dir() -> Path:
    """The root of fwkit's Terraform code (the one holding `main.tf` and `modules/`)."""
    for candidate in (_PACKAGED, _CHECKOUT):
        if (candidate / "modules" / "sizing" / "instance_types.json").is_file():
            return candidate
    raise FwkitError(
        f"fwkit's Terraform files are missing (looked in {_PACKAGED} and {_CHECKOUT}): reinstall fwkit "
        "from its wheel or run it from a checkout of the repository"
    )


def instance_table_path() -> Path:
    """The instance-type table shared by Terraform (`jsondecode(file(...))`) and Python."""
    return terraform_dir() / "modules" / "sizing" / "instance_types.json"
