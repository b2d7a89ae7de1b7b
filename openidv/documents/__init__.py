"""Documents (`doc_`): generic papers and government IDs handed over through the document API
(COMPAT.md §6, spec folder 2023-01-05-as-of-2025-01), their sealed files and signed file URLs."""
