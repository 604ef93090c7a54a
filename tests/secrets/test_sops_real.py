"""Real SOPS: a Secret encrypted with the `sops` binary and a fresh age key passes; decrypted, it
fails with secret/plaintext-secret; a file `.sops.yaml` covers, left unencrypted, fails with
secret/sops-unencrypted."""

from __future__ import annotations

import os
import subprocess

import pytest
from hubguard.rules.registry import matching
from hubguard.rules.runner import run_rules
from testkit import repo_from_files, sops_binary, where

SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: mongodb-credentials
  namespace: ratings
type: Opaque
stringData:
  username: ratings
  password: {password}
"""


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory) -> dict[str, str]:
    from pyrage import x25519

    identity = x25519.Identity.generate()
    folder = tmp_path_factory.mktemp("sops")
    plain = folder / "secret.yaml"
    password = "Qz" + os.urandom(9).hex()
    plain.write_text(SECRET.format(password=password))
    env = {**os.environ, "SOPS_AGE_KEY": str(identity)}
    run = lambda *args: subprocess.run([sops_binary(), *args], check=True, capture_output=True, text=True, env=env).stdout  # noqa: E731
    ciphertext = run("--encrypt", "--age", str(identity.to_public()), "--encrypted-regex", "^(data|stringData)$",
                     "--input-type", "yaml", "--output-type", "yaml", str(plain))
    (folder / "enc.yaml").write_text(ciphertext)
    decrypted = run("--decrypt", "--input-type", "yaml", "--output-type", "yaml", str(folder / "enc.yaml"))
    return {"ciphertext": ciphertext, "decrypted": decrypted, "password": password, "recipient": str(identity.to_public())}


def secret_findings(files: dict[str, str]):
    repo = repo_from_files(files, hubs={"seattle": [p for p in files if p.endswith(".yaml") and ".sops" not in p]})
    return sorted(run_rules(repo, list(matching(["secret/"]))), key=lambda f: f.sort_key())


def sops_config(recipient: str) -> str:
    return f"creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: {recipient}\n"


def test_encrypted_secret_passes(encrypted) -> None:
    assert "ENC[AES256_GCM" in encrypted["ciphertext"] and "sops:" in encrypted["ciphertext"]
    files = {".sops.yaml": sops_config(encrypted["recipient"]), "apps/secrets/mongodb.yaml": encrypted["ciphertext"]}
    assert secret_findings(files) == []


def test_decrypted_secret_fails(encrypted) -> None:
    assert encrypted["password"] in encrypted["decrypted"]
    findings = secret_findings({"apps/mongodb.yaml": encrypted["decrypted"]})
    # Each key at its own line, named: both values are readable.
    assert where(findings) == [("secret/plaintext-secret", "apps/mongodb.yaml", 8), ("secret/plaintext-secret", "apps/mongodb.yaml", 9)]
    assert "stringData.password" in findings[1].message
    assert all(encrypted["password"] not in f.message for f in findings)


def test_file_covered_by_sops_config_left_unencrypted_fails(encrypted) -> None:
    files = {".sops.yaml": sops_config(encrypted["recipient"]), "apps/secrets/mongodb.yaml": encrypted["decrypted"]}
    assert where(secret_findings(files)) == [
        ("secret/sops-unencrypted", "apps/secrets/mongodb.yaml", 1),
        ("secret/plaintext-secret", "apps/secrets/mongodb.yaml", 8),
        ("secret/plaintext-secret", "apps/secrets/mongodb.yaml", 9),
    ]


def test_value_pasted_into_an_encrypted_file_fails(encrypted) -> None:
    pasted = encrypted["ciphertext"].replace("stringData:\n", "stringData:\n    token: pasted-after-encryption\n", 1)
    files = {".sops.yaml": sops_config(encrypted["recipient"]), "apps/secrets/mongodb.yaml": pasted}
    line = pasted.splitlines().index("    token: pasted-after-encryption") + 1
    assert where(secret_findings(files)) == [("secret/plaintext-secret", "apps/secrets/mongodb.yaml", line)]
