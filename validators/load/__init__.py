"""Stage 1 — discover and load: the repository's files (git-tracked, or the git index as a folder),
parsed YAML/JSON documents with positions on demand, the policy file, shipped path globs.
"""
