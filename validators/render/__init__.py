"""Stage 2 — render each hub: its roots built with the real kustomize, Flux Kustomizations and Argo CD
Applications followed into the repository, every object matched to its source file and line.
"""
