"""`fwkit swap create|remove|status`: a swap file for jobs that need more memory than the host has.

The work is done by scripts/swap_setup.sh (plain bash, so cloud-init can run it without Python);
this module builds its arguments (`fwkit.swap`), streams its output and returns its exit code.
`status` reads /proc/swaps (`fwkit.host.swap`). See docs/swap.md.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fwkit.commands.helptext import with_examples

app = typer.Typer(
    help="Create, resize, remove or show swap files (wraps scripts/swap_setup.sh). See docs/swap.md.",
    no_args_is_help=True,
)

EXAMPLES = [
    "sudo fwkit swap create --size 64G --persist --swappiness 10",
    "sudo fwkit swap create --size auto --mem 40G --dry-run",
    "sudo fwkit swap remove",
]
NOTES = """Exit codes: 0 done or nothing to do, 2 refused before changing anything (the line says why),
other: a step failed and every change was undone."""
CREATE_HELP = "Create the swap file (or resize it) and turn it on. Needs root; a second identical call changes nothing."
REMOVE_HELP = "Turn the swap file off, drop its fstab line and delete it. Needs root."

SwapPath = Annotated[str, typer.Option("--path", help="The swap file.", envvar="FWKIT_SWAP_PATH")]
Fstab = Annotated[str | None, typer.Option("--fstab", help="The fstab to edit (default /etc/fstab).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the commands it would run; change nothing.")]


def _run(args: list[str]) -> None:
    from fwkit.swap import run_script

    code = run_script(args, typer.echo)
    if code:
        raise typer.Exit(code)


@app.command(help=with_examples(CREATE_HELP, EXAMPLES, NOTES))
def create(
    size: Annotated[str, typer.Option("--size", help="64G, 512M, or auto (what --mem needs beyond free RAM).")],
    mem: Annotated[
        str | None, typer.Option("--mem", help="With --size auto: the job's memory (16G).", envvar="FWKIT_MEM")
    ] = None,
    path: SwapPath = "/swapfile",
    persist: Annotated[bool, typer.Option("--persist", help="Add one fstab line so it survives a reboot.")] = False,
    fstab: Fstab = None,
    swappiness: Annotated[
        int | None, typer.Option("--swappiness", min=0, max=200, help="Set vm.swappiness (sysctl drop-in).")
    ] = None,
    sysctl_dir: Annotated[
        str | None, typer.Option("--sysctl-dir", help="Drop-in directory (default /etc/sysctl.d).")
    ] = None,
    dry_run: DryRun = False,
) -> None:
    from fwkit.errors import FwkitError
    from fwkit.sizes import format_bytes, parse_bytes
    from fwkit.swap import SwapTarget, auto_swap_bytes, create_args

    if size == "auto":
        if mem is None:
            raise FwkitError("--size auto needs --mem (the job's memory, e.g. --mem 40G)")
        need = parse_bytes(mem, "--mem")
        size_bytes, usable = auto_swap_bytes(need)
        if size_bytes == 0:
            typer.echo(f"no swap needed: --mem {format_bytes(need)} fits in the {format_bytes(usable)} usable now")
            return
        typer.echo(
            f"--size auto: {format_bytes(size_bytes)} ({format_bytes(need)} needed, {format_bytes(usable)} usable)"
        )
    else:
        size_bytes = parse_bytes(size, "--size")
    target = SwapTarget(path, fstab, sysctl_dir, dry_run)
    _run(create_args(target, size_bytes, persist, swappiness))


@app.command(help=with_examples(REMOVE_HELP, EXAMPLES, NOTES))
def remove(path: SwapPath = "/swapfile", fstab: Fstab = None, dry_run: DryRun = False) -> None:
    from fwkit.swap import SwapTarget, remove_args

    _run(remove_args(SwapTarget(path, fstab, dry_run=dry_run)))


@app.command()
def status() -> None:
    """The active swap files and partitions (/proc/swaps), the totals and vm.swappiness."""
    from fwkit.host.swap import read_swap_facts
    from fwkit.sizes import format_bytes
    from fwkit.swap import swappiness

    facts = read_swap_facts()
    if not facts.devices:
        typer.echo("no active swap")
    for dev in facts.devices:
        used = f"{format_bytes(dev.used_bytes)} used"
        typer.echo(f"{dev.path}  {dev.kind}  {format_bytes(dev.size_bytes)}  {used}  priority {dev.priority}")
    typer.echo(
        f"total {format_bytes(facts.total_bytes)}, free {format_bytes(facts.free_bytes)}, swappiness {swappiness()}"
    )
