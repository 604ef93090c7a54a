"""The generator, apart from the validation run: `hubguard new` (cookiecutter on the bundled
template), day-2 `hub add/remove` and `update`, the template record, byte-preserving edits of files a
user may have changed, and planned change sets (printed, written only when safe, committed on request).
"""
