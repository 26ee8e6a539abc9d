"""Rollups of the SLA and satisfaction reports: counts (and duration histograms) per local day
and month, kept by database triggers (which mark changed days) and `refresh` (which
recomputes them)."""
