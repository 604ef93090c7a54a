"""Stage 4 — report: suppressions (comments, annotations) and the baseline applied to findings, and
the output formats (text, JSON, SARIF, JUnit, GitHub annotations).
"""
