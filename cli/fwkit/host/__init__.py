"""Host facts: what this machine and this process may really use (RAM, cgroup caps, swap, CPUs, disk).

Each concern is one module that reads the kernel's own files; `facts.gather()` collects them into
one `HostFacts` for `fwkit doctor`, `fwkit run` and the cloud bootstrap, which all plan from it
(`fwkit.plan`). `cgroup` and `cpu` import the standard library only: the tokenizer imports them.
"""
