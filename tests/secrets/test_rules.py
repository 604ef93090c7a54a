"""Table tests per rule and detector group: true positives at their line, false positives quiet."""

from __future__ import annotations

import pytest
import secret_fakes
from hubguard.errors import ConfigError
from hubguard.findings import Location
from hubguard.model import K8sObject
from hubguard.rules.secret.key_names import is_placeholder, sensitive_word
from testkit import repo_from_files, run_rule, where

F = secret_fakes.make()
PW = "Vq" + secret_fakes.body(14)


@pytest.mark.parametrize(("key", "word"), [
    ("DB_PASSWORD", "password"), ("dbPassword", "password"), ("db-passwd", "passwd"), ("clientSecret", "secret"),
    ("API_KEY", "apikey"), ("apiKey", "apikey"), ("AccountKey", "accountkey"), ("connectionString", "connectionstring"),
    ("privateKey", "privatekey"), ("auth.rootPassword", "password"), ("GITHUB_TOKEN", "token"), ("passwordHash", "password"),
    ("existingSecret", None), ("secretName", None), ("passwordSecretRef", None), ("keyvaultSecretRef", None),
    ("secretKeyRef", None), ("tokenFile", None), ("PASSWORD_FILE", None), ("tokenUrl", None), ("usePasswordFiles", None),
    ("passwordLength", None), ("clientId", None), ("username", None), ("secrets", None), ("imagePullSecrets", None),
])
def test_sensitive_key_names(key: str, word: str | None) -> None:
    assert sensitive_word(key) == word


@pytest.mark.parametrize(("value", "placeholder"), [
    ("${DB_PASSWORD}", True), ("$(DB_PASSWORD)", True), ("{{ .Values.password }}", True), ("<password>", True),
    ("", True), ("  ", True), ("$DB_PASSWORD", True), ("#{DB_PASSWORD}#", True), ("__DB_PASSWORD__", True),
    ("********", True), ("xxxx", True), ("true", True), ("1234", True), ("ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]", True),
    ("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)", True), ("/run/secrets/db", True),
    ("hunter2-longer", False), ("pa$$word", False), ("correct horse battery", False), ("ENC", False),
])
def test_placeholders(value: str, placeholder: bool) -> None:
    assert is_placeholder(value) is placeholder


LITERAL_CASES = [
    ("env on separate lines", "app.yaml",
     "kind: Pod\nspec:\n  containers:\n    - name: a\n      env:\n        - name: DB_PASSWORD\n          value: " + PW + "\n", [7]),
    ("JSON", "config.json", '{\n  "auth": {\n    "password": "' + PW + '"\n  }\n}\n', [3]),
    (".env", "app/.env", "# comment\nDB_PASSWORD=" + PW + " # trailing\nOTHER=1\nAPI_KEY='" + PW + "'\n", [2, 4]),
    ("shell", "run.sh", 'export API_TOKEN="' + PW + '"\nTOKEN=$(vault read x)\n', [1]),
    ("terraform", "main.tf", 'admin_password = "' + PW + '"\npassword = var.pw\n', [1]),
    ("ini", "app.ini", "[db]\npassword = " + PW + "\nuser = app\n", [2]),
    ("properties", "app.properties", "spring.datasource.password=" + PW + "\n", [1]),
    ("markdown prose", "README.md", "Password: ask the on-call person.\nThe token: see Key Vault.\n", []),
    ("markdown code", "README.md", "```\nhelm install --set auth.password=" + PW + "\n```\n", [2]),
    ("broken YAML is read as text", "bad.yaml", "a: [\npassword: " + PW + "\n", [2]),
    ("ConfigMap embedded file", "cm.yaml",
     "kind: ConfigMap\ndata:\n  app.ini: |\n    [db]\n    password = " + PW + "\n", [5]),
    ("placeholders", "values.yaml",
     "a:\n  password: ${X}\n  token: '{{ .Values.t }}'\n  secret: <secret>\n  apiKey: ''\n  passwordMinLength: 12\n", []),
    ("references", "values.yaml",
     "auth:\n  existingSecret: db\n  passwordSecretRef: {name: db, key: pw}\n  secretName: tls\n", []),
    ("too short", "values.yaml", "password: ab\n", []),
    ("versions are not secrets", "answers.yaml", "chart_external_secrets: '0.17.0'\nsecrets_operator: v1.2.3-rc.1\n", []),
    ("ExternalSecret secretKey names the key to create", "es.yaml",
     "kind: ExternalSecret\nspec:\n  data:\n    - secretKey: root-password\n      remoteRef:\n        key: mongodb-root-password\n", []),
    ("secretKey without remoteRef is a literal", "aws.yaml", "aws:\n  secretKey: " + PW + "\n", [2]),
]


@pytest.mark.parametrize(("label", "path", "text", "lines"), LITERAL_CASES, ids=[c[0] for c in LITERAL_CASES])
def test_sensitive_literal(label: str, path: str, text: str, lines: list[int]) -> None:
    findings = run_rule("secret/sensitive-literal", repo_from_files({path: text}, hubs={}))
    assert where(findings) == [("secret/sensitive-literal", path, line) for line in lines]
    assert all(PW not in f.message for f in findings)


URI_CASES = [
    ("mongodb", "mongodb://ratings:" + PW + "@mongo:27017/db", True),
    ("https with user", "https://bot:" + PW + "@git.example/repo.git", True),
    ("amqp", "amqp://guest:" + PW + "@rabbit:5672/", True),
    ("env expansion", "mongodb://ratings:$(MONGO_PASSWORD)@mongo:27017", False),
    ("shell variable", "mongodb://ratings:${MONGO_PASSWORD}@mongo:27017", False),
    ("angle placeholder", "mongodb://ratings:<password>@mongo", False),
    ("word placeholder", "postgres://user:password@db/app", False),
    ("no password", "https://user@git.example/repo.git", False),
    ("port only", "https://git.example:8443/repo.git", False),
]


@pytest.mark.parametrize(("label", "uri", "found"), URI_CASES, ids=[c[0] for c in URI_CASES])
def test_credential_in_uri(label: str, uri: str, found: bool) -> None:
    findings = run_rule("secret/credential-in-uri", repo_from_files({"notes.txt": "line one\nurl = " + uri + "\n"}, hubs={}))
    assert where(findings) == ([("secret/credential-in-uri", "notes.txt", 2)] if found else [])


def test_known_token_in_base64_secret_data() -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  key: " + secret_fakes.b64("x=" + F["slack_bot"]) + "\n"
    assert where(run_rule("secret/known-token", repo_from_files({"s.yaml": text}, hubs={}))) == [("secret/known-token", "s.yaml", 5)]


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: https://c.example:6443}}}}]
contexts: [{{name: c, context: {{cluster: c, user: u}}}}]
users:
  - name: u
    user:
{user}
"""


@pytest.mark.parametrize(("user", "lines"), [
    ("      password: " + PW, [8]),
    ("      username: admin\n      password: " + PW, [9]),
    ("      auth-provider:\n        name: oidc\n        config:\n          client-secret: " + PW, [11]),
    ("      client-certificate: /home/u/.kube/client.crt\n      client-key: /home/u/.kube/client.key", []),
    ("      exec: {command: kubelogin, apiVersion: client.authentication.k8s.io/v1beta1}", []),
    ("      token: ''", []),
])
def test_kubeconfig(user: str, lines: list[int]) -> None:
    repo = repo_from_files({".kube/config": KUBECONFIG.format(user=user)}, hubs={})
    assert where(run_rule("secret/kubeconfig", repo)) == [("secret/kubeconfig", ".kube/config", n) for n in lines]


def test_cluster_definition_lists_and_refs() -> None:
    model = ('{"apiVersion": "vlabs", "properties": {\n'
             '  "certificateProfile": {"etcdPeerPrivateKeys": [\n    "' + PW + '",\n    ""]},\n'
             '  "servicePrincipalProfile": {"clientId": "x", "keyvaultSecretRef": {"vaultID": "/x", "secretName": "sp"}},\n'
             '  "windowsProfile": {"adminPassword": ""}}}\n')
    findings = run_rule("secret/cluster-definition", repo_from_files({"hub/apimodel.json": model}, hubs={}))
    assert where(findings) == [("secret/cluster-definition", "hub/apimodel.json", 3)]


FLUX_SOPS = "creation_rules:\n  - path_regex: .*.yaml\n    encrypted_regex: ^(data|stringData)$\n    age: age1abc\n"


@pytest.mark.parametrize(("files", "expected"), [
    ({".sops.yaml": "creation_rules:\n  - path_regex: \\.enc\\.env$\n", "a/app.enc.env": "DB_PASSWORD=x\n"}, ["a/app.enc.env"]),
    ({".sops.yaml": "creation_rules:\n  - path_regex: \\.enc\\.env$\n",
      "a/app.enc.env": "DB_PASSWORD=ENC[AES256_GCM,data:YQ==,iv:x,tag:y,type:str]\nsops_version=3.8.1\nsops_mac=ENC[x]\n"}, []),
    ({".sops.yaml": "creation_rules:\n  - age: age1abc\n", "a/values.yaml": "a: 1\n"}, []),  # no path_regex: defaults only
    ({"clusters/.sops.yaml": "creation_rules:\n  - path_regex: ^secrets/\n", "clusters/secrets/a.yaml": "a: 1\n",
      "secrets/b.yaml": "b: 1\n"}, ["clusters/secrets/a.yaml"]),  # nearest config, path relative to it
    ({".sops.yaml": "creation_rules:\n  - path_regex: '['\n", "x.yaml": "a: 1\n"}, []),  # invalid regex ignored
    # Flux's guide: defaults for every YAML file; only what holds data/stringData must be encrypted.
    ({".sops.yaml": FLUX_SOPS, "a/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n",
      "a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {A: b}\n",
      "a/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {A: b}\n",
      "a/empty-secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {}\n"}, ["a/secret.yaml"]),
])
def test_sops_unencrypted(files: dict[str, str], expected: list[str]) -> None:
    findings = run_rule("secret/sops-unencrypted", repo_from_files(files, hubs={}))
    assert where(findings) == [("secret/sops-unencrypted", p, 1) for p in expected]


def test_options_extend_and_allow() -> None:
    files = {"app.env": "DB_PIN=" + PW + "\nDB_PASSWORD=test-fixture-1\nCORP=corp_" + "a1b2c3d4" * 4 + "\n"}
    policy = {"rules": {
        "secret/sensitive-literal": {"keys": ["pin"], "allow": [{"regex": "^test-fixture-", "reason": "test data"}]},
        "secret/known-token": {"patterns": [{"name": "corp", "regex": "(corp_[a-z0-9]{32})", "kind": "Corp API key"}]},
    }}
    repo = repo_from_files(files, hubs={}, policy=policy)
    assert where(run_rule("secret/sensitive-literal", repo)) == [("secret/sensitive-literal", "app.env", 1)]
    tokens = run_rule("secret/known-token", repo)
    assert where(tokens) == [("secret/known-token", "app.env", 3)] and tokens[0].message.startswith("Corp API key")


def test_allow_entry_needs_a_reason() -> None:
    repo = repo_from_files({"a.env": "X=1\n"}, hubs={}, policy={"rules": {"secret/known-token": {"allow": [{"regex": "x"}]}}})
    with pytest.raises(ConfigError):
        run_rule("secret/known-token", repo)


def test_rendered_substitution_is_reported_for_the_hub() -> None:
    """Flux postBuild.substitute put a literal where the file has ${DB_PASSWORD}: only the rendered
    object shows it, so it is reported at the placeholder's line, for the hub."""
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata:\n  DB_PASSWORD: ${DB_PASSWORD}\n"
    repo = repo_from_files({"apps/cm.yaml": text}, hubs={"seattle": ["apps/cm.yaml"], "munich": ["apps/cm.yaml"]})
    obj = repo.hubs["seattle"].objects[0]
    obj.data = {**obj.data, "data": {"DB_PASSWORD": PW}}
    findings = run_rule("secret/sensitive-literal", repo)
    assert [(f.path, f.line, f.hub) for f in findings] == [("apps/cm.yaml", 5, "seattle")]
    assert PW not in findings[0].message


def test_generated_object_values_from_files_are_not_reported_twice() -> None:
    kustomization = "configMapGenerator:\n  - name: app\n    envs: [app.env]\n"
    files = {"k/kustomization.yaml": kustomization, "k/app.env": "API_TOKEN=" + PW + "\n"}
    repo = repo_from_files(files, hubs={"seattle": []})
    generated = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-5f7b"}, "data": {"API_TOKEN": PW, "X": F["github_classic"]}}
    repo.hubs["seattle"].objects.append(K8sObject(generated, Location("k/kustomization.yaml", 2, 1), generated=True))
    assert where(run_rule("secret/sensitive-literal", repo)) == [("secret/sensitive-literal", "k/app.env", 1)]
    # The token is in no file: only the rendered object has it (e.g. from a binary input).
    tokens = run_rule("secret/known-token", repo)
    assert [(f.path, f.line, f.hub) for f in tokens] == [("k/kustomization.yaml", 2, "seattle")]


def test_binary_and_skipped_files_are_not_read() -> None:
    repo = repo_from_files({"a.txt": "token = " + F["github_classic"] + "\n"}, hubs={})
    repo.files[0].kind, repo.files[0].text = "skipped", None
    assert run_rule("secret/known-token", repo) == []
