"""Helpers shared by tests/cross and tests/catalogue: where the built
extension, package and CLI are (artifacts), how to start PHP and Python
host processes (hosts), and facts about processes (procs)."""
