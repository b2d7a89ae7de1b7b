"""Reports: watchlist and politically-exposed-person screening (COMPAT.md §4.3, §6)."""
