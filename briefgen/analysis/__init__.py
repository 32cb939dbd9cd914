"""Analytic standards: estimative language, lint findings, the risk model, what changed."""
