# Exits 0 without printing anything: no result at all.
