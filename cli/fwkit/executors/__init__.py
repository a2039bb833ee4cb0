"""Executors: where work items run. The engine defines the seam (`fwkit.engine.executor`); these
implement it. Each is imported only when chosen (Ray only with `--engine ray`)."""
