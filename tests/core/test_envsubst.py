"""Flux's envsubst, case by case: the table of fluxcd/pkg `envsubst/eval_test.go` (itself from the
tldp.org parameter-substitution guide), the functions Flux's docs list, and the edge cases where
Flux differs from a shell (defaults of set-but-empty variables, `${v-d}`, `$$`)."""

from __future__ import annotations

import pytest
from hubguard.render.envsubst import SubstitutionError, substitute

FLUX_TABLE = [
    ({}, "abcdEFGH28ij", "abcdEFGH28ij"),
    ({"var01": "abcdEFGH28ij"}, "${#var01}", "12"),
    ({"var01": "abcdEFGH28ij"}, "${var01^}", "AbcdEFGH28ij"),
    ({"var01": "abcdEFGH28ij"}, "${var01^^}", "ABCDEFGH28IJ"),
    ({"var01": "ABCDEFGH28IJ"}, "${var01,}", "aBCDEFGH28IJ"),
    ({"var01": "ABCDEFGH28IJ"}, "${var01,,}", "abcdefgh28ij"),
    ({"path_name": "/home/bozo/ideas/thoughts.for.today"}, "${path_name:11}", "ideas/thoughts.for.today"),
    ({"path_name": "/home/bozo/ideas/thoughts.for.today"}, "${path_name:11:5}", "ideas"),
    ({"var": "abc"}, "${var=xyz}", "abc"),
    ({}, "${var=xyz}", "xyz"),
    ({"default_var": "foo"}, "something ${var=${default_var}}", "something foo"),
    ({"default_var": "foo1"}, "foo: ${var=${default_var}-suffix}", "foo: foo1-suffix"),
    ({"default_var": "foo1"}, "foo: ${var=prefix${default_var}-suffix}", "foo: prefixfoo1-suffix"),
    ({}, "${var:=xyz}", "xyz"),
    ({"stringZ": "abcABC123ABCabc"}, "${stringZ/%abc/XYZ}", "abcABC123ABCXYZ"),
    ({"stringZ": "abcABC123ABCabc"}, "${stringZ/#abc/XYZ}", "XYZABC123ABCabc"),
    ({"stringZ": "abcABC123ABCabc"}, "${stringZ//abc/xyz}", "xyzABC123ABCxyz"),
    ({"stringZ": "abcABC123ABCabc"}, "${stringZ/abc/xyz}", "xyzABC123ABCabc"),
    ({"filename": "bash.string.txt"}, "${filename#*.}", "string.txt"),
    ({"filename": "path/to/file"}, "${filename#*/}", "to/file"),
    ({"filename": "/path/to/file"}, "${filename#*/}", "path/to/file"),
    ({"filename": "bash.string.txt"}, "${filename##*.}", "txt"),
    ({"filename": "path/to/file"}, "${filename##*/}", "file"),
    ({"filename": "/path/to/file"}, "${filename##*/}", "file"),
    ({"filename": "bash.string.txt"}, "${filename%.*}", "bash.string"),
    ({"filename": "bash.string.txt"}, "${filename%%.*}", "bash"),
    ({"var01": "abcdEFGH28ij"}, "${var=${var01^^}}", "ABCDEFGH28IJ"),
    ({"var01": "abcdEFGH28ij"}, "$${var01}", "${var01}"),
    ({"var01": "abcdEFGH28ij"}, "some text ${var01}$${var$${var01}$var01${var01}",
     "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij"),
    ({"default_var": "foo"}, "something $${var=${default_var}}", "something ${var=foo}"),
    ({"stringZ": "foo/bar"}, r"${stringZ/\//-}", "foo-bar"),
    ({"stringZ": "foo/bar/baz"}, r"${stringZ//\//-}", "foo-bar-baz"),
    ({"default_var": "foo"}, "\\\\something ${var=${default_var}}", "\\\\something foo"),
    ({"stringZ": "foo.bar"}, "${stringZ/./}", "foobar"),
]

FLUX_DOCS_AND_EDGES = [
    ({"SECRET_DOMAIN": "example.com"}, "${SECRET_DOMAIN/./-}", "example-com"),  # the example
    ({"v": ""}, "${v:=d} ${v:-d} ${v=d}", "d d d"),  # set but empty: Flux's toDefault applies the default
    ({"OTHER": "o"}, "${UNSET:=${OTHER}}", "o"),  # nested default
    ({"OTHER": "o"}, "${UNSET:-x${OTHER:0:1}y}", "xoy"),
    ({}, "${MISSING}", ""),  # non-strict: unset is empty
    ({"v": "x"}, "${v:+alt}", "x"),  # `:+` is a default in Flux's fork, not bash's alternate value
    ({"v": "12345678"}, "${v:-3:2}", "12345678"),  # `:-` is a default, never a negative offset
    ({"v": "123456789123456789"}, "${v:9:50}", "123456789"),
    ({"v": "12345678"}, "${v:9:1}", ""),
    ({"v": "café"}, "${#v}", "5"),  # Go counts bytes
    ({"v": "a.b.c"}, "${v//./}", "abc"),
    ({"v": "a$b"}, "cost: $$5 and ${v}", "cost: $5 and a$b"),  # `$$` is `$`; values are not re-read
    ({}, "$HOME and $(cmd) stay", "$HOME and $(cmd) stay"),
]


@pytest.mark.parametrize(("variables", "text", "expected"), FLUX_TABLE + FLUX_DOCS_AND_EDGES)
def test_flux_envsubst(variables, text, expected):
    assert substitute(text, variables) == expected


@pytest.mark.parametrize("text", ["${v-default}", "${}", "${v/a}", "${v^x}", "${v", "${v:=a"])
def test_what_flux_refuses_to_parse_is_an_error(text):
    with pytest.raises(SubstitutionError):
        substitute(text, {"v": "x"})
