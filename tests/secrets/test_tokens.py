"""Known-token detectors: a true-positive and false-positive table per detector."""

from __future__ import annotations

import pytest
import secret_fakes
from hubguard.rules.secret.token_formats import find_tokens

F = secret_fakes.make()

TRUE_POSITIVES = [
    ("azure-storage-connection-string", "DefaultEndpointsProtocol=https;AccountName=ratings;AccountKey=" + F["storage_key"] + ";EndpointSuffix=core.windows.net"),
    ("azure-storage-key", "storage_key = \"" + F["storage_key"] + "\""),
    ("azure-shared-access-key", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=" + F["shared_access_key"]),
    ("azure-sas-signature", "https://acct.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=o&sp=rw&se=2030-01-01&sig=" + F["sas_sig"]),
    ("azure-ad-client-secret", "AZURE_CLIENT_SECRET=" + F["aad_secret"]),
    ("private-key", F["pem_rsa"]),
    ("private-key", "key: |\n  " + F["pem_openssh"].replace("\n", "\n  ")),
    ("aws-access-key-id", "aws_access_key_id = " + F["aws_key_id"]),
    ("aws-secret-access-key", "aws_secret_access_key = " + F["aws_secret"]),
    ("github-token", "GITHUB_TOKEN=" + F["github_classic"]),
    ("github-token", "token: " + F["github_oauth"]),
    ("github-token", "installation " + F["github_app"]),
    ("github-fine-grained-token", "--token " + F["github_fine"]),
    ("gitlab-token", "CI_TOKEN='" + F["gitlab"] + "'"),
    ("slack-token", "SLACK_BOT_TOKEN=" + F["slack_bot"]),
    ("slack-webhook", "webhook: " + F["slack_webhook"]),
    ("jwt", "Authorization: Bearer " + F["jwt"]),
    ("age-secret-key", "# " + F["age_secret"]),
    ("docker-config-auth", '{"auths": {"registry.example": {"auth": "' + F["docker_auth"] + '"}}}'),
    ("vault-token", "VAULT_TOKEN=" + F["vault"]),
    ("npm-token", "//registry.npmjs.org/:_authToken=" + F["npm"]),
]

FALSE_POSITIVES = [
    ("public key", "-----BEGIN PUBLIC KEY-----\n" + secret_fakes.body(64, secret_fakes.B64) + "\n-----END PUBLIC KEY-----"),
    ("certificate", "-----BEGIN CERTIFICATE-----\n" + secret_fakes.body(64, secret_fakes.B64) + "\n-----END CERTIFICATE-----"),
    ("ssh public key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + secret_fakes.body(43, secret_fakes.B64) + " ops@example"),
    ("PEM header in prose", "Paste the -----BEGIN RSA PRIVATE KEY----- block into Key Vault."),
    ("SOPS-encrypted PEM", "key: ENC[AES256_GCM,data:" + secret_fakes.body(60, secret_fakes.B64) + ",type:str] # -----BEGIN RSA PRIVATE KEY-----"),
    ("image digest", "image: ghcr.io/org/app@sha256:" + secret_fakes.body(64, "0123456789abcdef")),
    ("git sha", "ref: " + secret_fakes.body(40, "0123456789abcdef")),
    ("uuid", "clientId: 3f2b8c1e-9a4d-4b7e-8c2f-1d6e5a4b3c2d"),
    ("age recipient", "age: " + F["age_public"]),
    ("age key bad checksum", "AGE-SECRET-KEY-1" + "Q" * 57 + "P"),
    ("github placeholder", "GITHUB_TOKEN=gh" + "p_" + "X" * 36),
    ("aws documented example", "AK" + "IAIOSFODNN7EXAMPLE"),
    ("jwt-shaped but not JSON", "eyJ" + "notjson12345.eyJ" + "notjson12345." + secret_fakes.body(20)),
    ("slack placeholder", "SLACK_TOKEN=xo" + "xb-your-token-here"),
    ("docker auth without password", '{"auths": {"r": {"auth": "' + secret_fakes.b64("robot:") + '"}}}'),
    ("storage key placeholder", "AccountKey=<storage-account-key>"),
    ("sas without signature", "https://acct.blob.core.windows.net/c?sv=2022-11-02&sp=r"),
    ("base64 of a short word", "data: aGVsbG8gd29ybGQ="),
]


@pytest.mark.parametrize(("detector", "text"), TRUE_POSITIVES, ids=[f"{d}-{i}" for i, (d, _) in enumerate(TRUE_POSITIVES)])
def test_detector_finds_its_token(detector: str, text: str) -> None:
    found = list(find_tokens(text))
    assert [h.detector.name for h in found] == [detector]
    assert found[0].value in text and text.index(found[0].value) == found[0].start


@pytest.mark.parametrize(("label", "text"), FALSE_POSITIVES, ids=[label for label, _ in FALSE_POSITIVES])
def test_look_alike_is_not_a_token(label: str, text: str) -> None:
    assert list(find_tokens(text)) == []


def test_every_detector_has_a_true_positive() -> None:
    from hubguard.rules.secret.token_formats import DETECTORS

    assert {d.name for d in DETECTORS} == {name for name, _ in TRUE_POSITIVES}
