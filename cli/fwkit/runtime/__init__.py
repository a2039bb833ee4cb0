"""Runtimes for `fwkit run`: the tokenize job under a hard memory cap (docker, cgroup, or none).

job.py (what to run, how it ended), launch.py (pick a runtime), container.py / cgroup.py /
process.py (the runtimes), stop.py (Ctrl-C policy), image.py (the job image), preflight.py (plan).
"""
