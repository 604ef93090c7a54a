"""Known credential formats, recognised anywhere in a text (secret/known-token).

Each detector is a regex plus an optional validator that rejects look-alikes (placeholders made of
one repeated character, JWTs whose header is not JSON, age keys with a bad bech32 checksum, docker
`auth` fields that do not decode to `user:password`). Prefixes and checksums carry the precision;
entropy alone is never a reason to report.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from hubguard.rules.secret.placeholders import is_placeholder_secret


@dataclass(frozen=True)
class Detector:
    name: str  # stable id, used in finding keys
    kind: str  # what the message calls it
    pattern: re.Pattern[str]
    group: int | str = 0  # the group holding the secret itself
    valid: Callable[[str], bool] | None = None
    # Random-looking formats are judged for placeholders (`xoxb-XXXX…`, `…EXAMPLE`); structured
    # ones (PEM, JWT, docker auth, age) are not: their encodings hold runs like `AAAAAA` by nature.
    judged: bool = True


@dataclass(frozen=True)
class TokenHit:
    detector: Detector
    start: int  # offset of the secret in the scanned text
    value: str


def varied(value: str, minimum: int = 8) -> bool:
    """Real tokens use many distinct characters; documentation placeholders (`ghp_XXXX…`) do not."""
    return len(set(value)) >= minimum


def _not_example(value: str) -> bool:
    # AWS publishes AKIAIOSFODNN7EXAMPLE-style keys in its docs; nobody can use them.
    return "EXAMPLE" not in value.upper() and varied(value, 6)


def _jwt(value: str) -> bool:
    header = value.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_valid(value: str) -> bool:
    """BIP-173 checksum: a typo or a made-up `AGE-SECRET-KEY-1…` placeholder fails it."""
    text = value.lower()
    hrp, _, data = text.rpartition("1")
    if not hrp or any(c not in _BECH32 for c in data) or len(data) < 6:
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [_BECH32.index(c) for c in data]
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for v in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            checksum ^= generator[i] if (top >> i) & 1 else 0
    return checksum == 1


def _docker_auth(value: str) -> bool:
    try:
        user, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return bool(sep and user and password) and not password.startswith(("${", "$(", "{{", "<"))


def _pem_body(value: str) -> bool:
    return "ENC[" not in value


_B64 = r"[A-Za-z0-9+/]"
# Word-ish boundaries that also work next to quotes, `=`, `:` and URL punctuation.
_L = r"(?<![A-Za-z0-9_\-])"
_R = r"(?![A-Za-z0-9_\-])"

DETECTORS: tuple[Detector, ...] = (
    Detector(
        "azure-storage-connection-string",
        "Azure storage account key",
        re.compile(r"AccountKey=(" + _B64 + r"{86}==)", re.I),
        1,
    ),
    Detector(
        "azure-storage-key",
        "Azure storage account key",
        re.compile(r"(?i)(?:account|storage)[_\-.]?key[\"']?\s*[:=]\s*[\"']?(" + _B64 + r"{86}==)"),
        1,
    ),
    Detector(
        "azure-shared-access-key",
        "Azure shared access key",
        re.compile(r"SharedAccessKey=(" + _B64 + r"{43}=)"),
        1,
    ),
    Detector(
        "azure-sas-signature",
        "Azure SAS signature",
        re.compile(r"(?i)[?&;]sig=((?:[A-Za-z0-9+/]|%2[bBfF]){30,}(?:%3[dD]|=){0,2})"),
        1,
    ),
    Detector(
        "azure-ad-client-secret",
        "Azure AD client secret",
        re.compile(r"(?<![A-Za-z0-9_~.\-])([A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?![A-Za-z0-9_~.\-])"),
        1,
        lambda v: varied(v, 10),
    ),
    Detector(
        "private-key",
        "private key",
        re.compile(
            r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
            # body on the next line; `\\n` when the key sits in a JSON string; optional PEM headers
            r"(?:\s|\\n)+(?:[A-Za-z\-]+: [^\n\\]*(?:\s|\\n)+)*([A-Za-z0-9+/=]{40,})"
        ),
        0,
        _pem_body,
        judged=False,
    ),
    Detector(
        "aws-access-key-id",
        "AWS access key ID",
        re.compile(_L + r"((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})" + _R),
        1,
        _not_example,
    ),
    Detector(
        "aws-secret-access-key",
        "AWS secret access key",
        re.compile(r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"),
        1,
        _not_example,
    ),
    Detector("github-token", "GitHub token", re.compile(_L + r"(gh[pousr]_[A-Za-z0-9]{36})" + _R), 1, lambda v: varied(v[4:], 10)),
    Detector(
        "github-fine-grained-token",
        "GitHub fine-grained token",
        re.compile(_L + r"(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})" + _R),
        1,
        lambda v: varied(v[11:], 12),
    ),
    Detector(
        "gitlab-token",
        "GitLab token",
        re.compile(_L + r"((?:glpat|gldt|glrt|glsoat|glcbt|glft|glimt|glagent)-[A-Za-z0-9_\-]{20,50}|glptt-[0-9a-f]{40}|GR1348941[A-Za-z0-9_\-]{20})" + _R),
        1,
        lambda v: varied(v.split("-", 1)[-1], 8),
    ),
    Detector(
        "slack-token",
        "Slack token",
        re.compile(_L + r"(xox[abposr]-(?:\d+-){1,3}[A-Za-z0-9]{10,48}|xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{20,})" + _R),
        1,
    ),
    Detector(
        "slack-webhook",
        "Slack webhook URL",
        # Incoming webhooks (`services/T…/B…/secret`), workflow and trigger URLs, over http too.
        re.compile(r"(https?://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,}/[A-Z0-9]{6,}/(?:\d+/)?[A-Za-z0-9]{20,})"),
        1,
    ),
    Detector(
        "jwt",
        "JSON Web Token",
        re.compile(_L + r"(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})" + _R),
        1,
        _jwt,
        judged=False,
    ),
    Detector(
        "age-secret-key",
        "age secret key",
        re.compile(r"(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})" + _R),
        1,
        _bech32_valid,
        judged=False,
    ),
    Detector(
        "docker-config-auth",
        "docker registry credential",
        re.compile(r"\"auth\"\s*:\s*\"([A-Za-z0-9+/]{8,}={0,2})\""),
        1,
        _docker_auth,
        judged=False,
    ),
    Detector(
        "vault-token",
        "HashiCorp Vault token",
        re.compile(_L + r"(hvs\.[A-Za-z0-9_\-]{90,120}|hvb\.[A-Za-z0-9_\-]{138,300}|hvr\.[A-Za-z0-9_\-]{90,120})" + _R),
        1,
        lambda v: varied(v[4:], 12),
    ),
    Detector("npm-token", "npm token", re.compile(_L + r"(npm_[A-Za-z0-9]{36})" + _R), 1, lambda v: varied(v[4:], 10)),
)

# Cheap prefilter: a text with none of these substrings cannot hold any built-in token.
_HINTS = (
    "accountkey", "account_key", "account-key", "account.key", "storagekey", "storage_key", "storage-key", "storage.key",
    "sharedaccesskey", "sig=", "q~", "private key", "akia", "asia", "abia", "acca", "secret_access", "secretaccess",
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "glrt-", "glsoat-", "glcbt-", "glft-",
    "glimt-", "glagent-", "glptt-", "gr1348941", "xox", "xapp-", "hooks.slack.com", "eyj", "age-secret-key-1",
    "\"auth\"", "hvs.", "hvb.", "hvr.", "npm_",
)

def custom_detectors(patterns: list[dict]) -> tuple[Detector, ...]:
    """Detectors from the `patterns` option: `{name, regex, kind?}`; group 1 is the secret if present."""
    out = []
    for spec in patterns:
        compiled = re.compile(spec["regex"])
        out.append(Detector(str(spec["name"]), str(spec.get("kind") or spec["name"]), compiled, 1 if compiled.groups else 0))
    return tuple(out)


def find_tokens(text: str, extra: tuple[Detector, ...] = ()) -> Iterator[TokenHit]:
    """Every known token in `text`, once per position (the first detector that claims a span wins)."""
    taken: list[tuple[int, int]] = []
    lowered = text.lower()  # substring tests beat one big case-insensitive alternation by far
    detectors = DETECTORS if any(hint in lowered for hint in _HINTS) else ()
    for detector in (*detectors, *extra):
        for match in detector.pattern.finditer(text):
            value = match.group(detector.group)
            start = match.start(detector.group)
            if not value or (detector.valid is not None and not detector.valid(value)):
                continue
            if detector.judged and is_placeholder_secret(value):
                continue
            end = start + len(value)
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            yield TokenHit(detector, start, value)
