"""Fake but format-valid credentials, built at test time.

No token appears literally in the repository (prefixes are split, bodies are generated from a fixed
seed), so the repository itself never trips a push-protection scanner, yet every value has exactly
the shape a real credential has.
"""

from __future__ import annotations

import base64
import json
import random
import string

_rng = random.Random(20240604)
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"


def body(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def age_identity() -> tuple[str, str]:
    from pyrage import x25519

    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def make() -> dict[str, str]:
    """name -> fake credential (a fresh set, different bodies on each call)."""
    age_secret, age_public = age_identity()
    return {
        "storage_key": body(86, B64) + "==",
        "shared_access_key": body(43, B64) + "=",
        "sas_sig": body(43, ALNUM) + "%3D",
        "aad_secret": body(3) + "8" + "Q" + "~" + body(34, ALNUM + "_~.-"),
        "aws_key_id": "AK" + "IA" + body(16, string.ascii_uppercase + "234567"),
        "aws_secret": body(40, B64),
        "github_classic": "gh" + "p_" + body(36),
        "github_oauth": "gh" + "o_" + body(36),
        "github_app": "gh" + "s_" + body(36),
        "github_fine": "github" + "_pat_" + body(22) + "_" + body(59),
        "gitlab": "gl" + "pat-" + body(20, ALNUM + "_-"),
        "slack_bot": "xo" + "xb-" + body(12, string.digits) + "-" + body(12, string.digits) + "-" + body(24),
        "slack_webhook": "https://hooks.slack" + ".com/services/T" + body(10, string.ascii_uppercase + string.digits)
        + "/B" + body(10, string.ascii_uppercase + string.digits) + "/" + body(24),
        "jwt": b64url({"alg": "RS256", "kid": body(8)}) + "." + b64url({"sub": "system:serviceaccount:ci:deployer", "iat": 1700000000})
        + "." + body(86, ALNUM + "-_"),
        "age_secret": age_secret,
        "age_public": age_public,
        "docker_auth": b64("robot$ci:" + body(32)),
        "vault": "hv" + "s." + body(91, ALNUM + "_-"),
        "npm": "np" + "m_" + body(36),
        "pem_rsa": "-----BEGIN RSA " + "PRIVATE KEY-----\n" + "\n".join(body(64, B64) for _ in range(5)) + "\n-----END RSA PRIVATE KEY-----\n",
        "pem_openssh": "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n" + "\n".join(body(70, B64) for _ in range(4))
        + "\n-----END OPENSSH PRIVATE KEY-----\n",
        "password": "Xk" + body(14),
    }
