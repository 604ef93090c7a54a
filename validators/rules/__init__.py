"""Stage 3 — rules: the registry (each rule declared once), the runner that gives each rule its scope
and options, and the families (`schema`, `secret`, `ha`, `pii`, `suppress`) with the helpers they
share (workloads, label selectors, addresses, base64, AKS Engine models).
"""
