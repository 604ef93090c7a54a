"""The index (`--staged`) and a commit (`hubguard diff`) written out as folders: exactly the blobs
git stores, never the work tree, and the repository untouched."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from integration_helpers import git, git_state

from hubguard.load.git_index import commit_tree, staged_tree

UNICODE = "apps/a b/ünï côde.yaml"


def files_in(folder: Path) -> dict[str, bytes]:
    """Every entry under `folder`: regular files with their bytes; anything else is named with a marker."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in filenames + dirnames:
            path = Path(dirpath, name)
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[rel] = b"<symlink>"
            elif path.is_file():
                found[rel] = path.read_bytes()
            elif not any(path.iterdir()):
                found[rel] = b"<empty folder>"  # a submodule's checkout-style placeholder would show here
    return found


def tricky_repo(make_repo) -> Path:
    """Staged: a path with spaces and unicode, an executable script, a symlink, a submodule, a file
    that a smudge filter and end-of-line settings would rewrite on checkout; plus unstaged edits."""
    root = make_repo({"README.md": "# demo\n", UNICODE: "a: 1\n", "tools/run.sh": "#!/bin/sh\necho x\n",
                      "crlf.yaml": "x: 1\n", ".gitattributes": "crlf.yaml filter=marker eol=crlf\n"})
    git(root, "config", "filter.marker.smudge", "sed s/x/SMUDGED/")
    git(root, "config", "core.autocrlf", "true")
    git(root, "update-index", "--chmod=+x", "tools/run.sh")
    os.symlink("README.md", root / "link.yaml")
    git(root, "add", "link.yaml")
    head = git(root, "rev-parse", "HEAD").strip()
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{head},vendor/sub")
    (root / UNICODE).write_text("a: 2\n")
    git(root, "add", UNICODE)
    (root / UNICODE).write_text("a: 3 unstaged\n")
    (root / "untracked.yaml").write_text("u: 1\n")
    return root


def test_the_index_copy_holds_the_staged_blobs_as_stored(make_repo):
    root = tricky_repo(make_repo)
    index = Path(root, ".git/index")
    before, mtime = git_state(root), index.stat().st_mtime_ns
    with staged_tree(root) as copy:
        assert files_in(copy) == {"README.md": b"# demo\n", UNICODE: b"a: 2\n", "tools/run.sh": b"#!/bin/sh\necho x\n",
                         "crlf.yaml": b"x: 1\n", ".gitattributes": b"crlf.yaml filter=marker eol=crlf\n"}
        assert not (copy / "vendor").exists()  # the submodule is another repository: not even a folder
        assert not stat.S_IMODE((copy / "tools/run.sh").stat().st_mode) & 0o111  # read, never executed
        assert root not in copy.parents
    assert not copy.exists()
    assert git_state(root) == before and index.stat().st_mtime_ns == mtime


def test_a_commit_copy_holds_that_commit_not_the_index(make_repo):
    root = tricky_repo(make_repo)
    before = git_state(root)
    with commit_tree(root, "HEAD") as copy:
        assert files_in(copy) == {
            "README.md": b"# demo\n", UNICODE: b"a: 1\n", "tools/run.sh": b"#!/bin/sh\necho x\n",
            "crlf.yaml": b"x: 1\n", ".gitattributes": b"crlf.yaml filter=marker eol=crlf\n"}
    assert not copy.exists() and git_state(root) == before


def test_a_subfolder_is_copied_alone_and_exists_when_nothing_is_under_it(make_repo):
    root = make_repo({"gitops/apps/x.yaml": "x: 1\n", "gitops-other/y.yaml": "y: 1\n", "other/z.yaml": "z: 1\n"})
    with staged_tree(root / "gitops") as copy:
        assert files_in(copy) == {"apps/x.yaml": b"x: 1\n"}
    (root / "empty").mkdir()
    with staged_tree(root / "empty") as copy:
        assert copy.is_dir() and files_in(copy) == {}


def test_an_empty_index_and_a_first_commit(make_repo):
    root = make_repo({}, commit=False)
    with staged_tree(root) as copy:
        assert copy.is_dir() and files_in(copy) == {}
    (root / "a.yaml").write_text("a: 1\n")
    git(root, "add", "a.yaml")
    with staged_tree(root) as copy:  # no HEAD yet: the index alone decides
        assert files_in(copy) == {"a.yaml": b"a: 1\n"}


def test_the_copy_goes_to_memory_when_there_is_room_and_tmpdir_names_no_other_place(make_repo, tmp_path, monkeypatch):
    import hubguard.load.git_index as git_index

    root = make_repo({"apps/x.yaml": "x: 1\n"})
    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.setattr(git_index, "MEMORY_FOLDER", str(memory))
    monkeypatch.delenv("TMPDIR", raising=False)
    with staged_tree(root) as copy:
        assert memory in copy.parents and files_in(copy) == {"apps/x.yaml": b"x: 1\n"}
    assert list(memory.iterdir()) == []  # removed afterwards

    chosen = tmp_path / "chosen"
    chosen.mkdir()
    monkeypatch.setenv("TMPDIR", str(chosen))
    monkeypatch.setattr(git_index.tempfile, "tempdir", None)  # tempfile reads TMPDIR again
    with staged_tree(root) as copy:
        assert chosen in copy.parents and memory not in copy.parents  # the user's choice wins
    monkeypatch.setattr(git_index.tempfile, "tempdir", None)


def test_a_full_memory_folder_falls_back_to_the_temporary_folder(make_repo, tmp_path, monkeypatch):
    import hubguard.load.git_index as git_index

    root = make_repo({"apps/x.yaml": "x: 1\n", "apps/y.yaml": "y: 2\n"})
    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.setattr(git_index, "MEMORY_FOLDER", str(memory))
    monkeypatch.delenv("TMPDIR", raising=False)
    real_open = open
    writes_in_memory = []

    def filling_open(path, mode="r", *args, **kwargs):  # the memory folder is full after one file
        if "w" in mode and str(path).startswith(str(memory)):
            writes_in_memory.append(path)
            if len(writes_in_memory) > 1:
                raise OSError(28, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", filling_open)
    with staged_tree(root) as copy:
        assert memory not in copy.parents
        assert files_in(copy) == {"apps/x.yaml": b"x: 1\n", "apps/y.yaml": b"y: 2\n"}
    assert len(writes_in_memory) == 2 and list(memory.iterdir()) == []  # the half-written copy is gone

    monkeypatch.setattr(git_index, "MEMORY_ROOM", 1 << 62)  # not enough room: not even tried
    writes_in_memory.clear()
    with staged_tree(root) as copy:
        assert memory not in copy.parents and writes_in_memory == []
