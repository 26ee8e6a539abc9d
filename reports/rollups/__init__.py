"""Rollups of the SLA report: counts and duration histograms per local day and month, kept by
database triggers (which mark changed days) and `refresh` (which recomputes them)."""
