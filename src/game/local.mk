# The rules engine (src/game/): file lists, its unit tests and benchmark.
# Included by the top-level Makefile.am.
