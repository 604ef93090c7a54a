"""What is not a secret stays quiet (issue 17): Sealed Secrets, placeholders judged on the secret
part, expressions in code and ARM/Terraform/Grafana references, and field names echoed by the
schema rule. Each file also plants one real leak, so that a scan that saw nothing cannot pass."""

from __future__ import annotations

import string

import secret_fakes

PW = "Lk" + secret_fakes.body(14)
AGE_PUBLIC = secret_fakes.make()["age_public"]
UPPER_DIGITS = string.ascii_uppercase + string.digits


def secret_findings(report: dict) -> list[tuple[str, str, int]]:
    return sorted((f["rule"], f["path"], f["line"]) for f in report["findings"] if f["rule"].startswith("secret/"))


def line_of(text: str, needle: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


SEALED = f"""\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: mongodb-credentials
  namespace: ratings
spec:
  encryptedData:
    password: AgB{secret_fakes.body(300, secret_fakes.B64)}
    token: AgC{secret_fakes.body(300, secret_fakes.B64)}
  template:
    metadata:
      name: mongodb-credentials
"""


def test_a_sealed_secret_is_encrypted_and_no_sops_rule_applies(make_repo, validate_json) -> None:
    repo = make_repo({
        ".sops.yaml": f"creation_rules:\n  - path_regex: .*/secrets/.*\\.yaml$\n    age: {AGE_PUBLIC}\n",
        "apps/secrets/mongodb.yaml": SEALED,
        "apps/secrets/plain.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  password: {PW}\n",
    })
    _, report = validate_json(repo, "--select", "secret/")
    # Only the unencrypted ConfigMap next to it: the SealedSecret is neither a literal nor unencrypted.
    assert secret_findings(report) == [("secret/sensitive-literal", "apps/secrets/plain.yaml", 6),
                                       ("secret/sops-unencrypted", "apps/secrets/plain.yaml", 1)]


def _slack(secret_part: str) -> str:
    return "xo" + "xb-" + secret_fakes.body(12, string.digits) + "-" + secret_fakes.body(12, string.digits) + "-" + secret_part


PLACEHOLDERS = {
    "slack_x": _slack("X" * 24),
    "slack_zero": "xo" + "xb-000000000000-000000000000-" + "0" * 24,
    "slack_hash": _slack("#" * 24),
    "slack_words": _slack("RANDOMSTRINGHERE" + secret_fakes.body(8)),
    "slack_counting": "xo" + "xb-123456789012-123456789012-" + "abcdefghijklmnopqrstuvwx",
    "aad_masked": "abc" + "8Q~" + "Defg" + "x" * 30,
    "sas_masked": "https://st.blob.core.windows.net/c?sv=2022-11-02&" + "sig=" + "x" * 40 + "%3D",
    "aws_id": "AK" + "IAIOSFODNN7EXAMPLE",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY",
    "github_here": "gh" + "p_" + "YOURTOKENHERE" + "x" * 23,
    "webhook_masked": "https://hooks.slack" + ".com/services/T00000000/B00000000/" + "X" * 24,
}


def test_placeholders_judged_on_the_secret_part_are_not_secrets(make_repo, validate_json) -> None:
    real = secret_fakes.make()["slack_bot"]
    lines = [f"{name}: {value}" for name, value in PLACEHOLDERS.items()]
    config = "\n".join([*lines, f"notify_token: {real}", "db_password: CHANGEME", "api_key: your-api-key-here",
                        "admin_password: '0000000000'", "client_secret: '####'", ""])
    env = "AWS_ACCESS_KEY_ID=" + PLACEHOLDERS["aws_id"] + "\nAWS_SECRET_ACCESS_KEY=" + PLACEHOLDERS["aws_secret"] + "\n"
    repo = make_repo({"config/examples.yaml": config, "docs/aws.env": env})
    _, report = validate_json(repo, "--select", "secret/")
    assert secret_findings(report) == [("secret/known-token", "config/examples.yaml", line_of(config, real))]


PYTHON = f'''\
def read(reader, password, client):
    token = convert_to_unicode(reader.readline())
    api_key = os.environ["API_KEY"]
    connect(password=password)
    self.secret_key = settings.SECRET_KEY
    DB_PASSWORD = "{PW}"
'''

ARM = """\
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "resources": [{
    "type": "Microsoft.Compute/virtualMachines",
    "properties": {"osProfile": {
      "adminPassword": "[parameters('adminPassword')]",
      "customData": "[base64(parameters('cloudInit'))]"
    }},
    "settings": {
      "storageAccountKey": "[listKeys(variables('storageId'), '2019-06-01').keys[0].value]",
      "password": "[parameters('machineSettings').adminPassword]",
      "commandToExecute": "[concat('powershell -File setup.ps1 -SharedSecret ', parameters('sharedSecret'))]"
    }
  }],
  "outputs": {"storage": {"type": "string",
    "value": "[concat('DefaultEndpointsProtocol=https;AccountName=', variables('n'), ';AccountKey=', listKeys(variables('storageId'), '2019-06-01').keys[0].value)]"}}
}
"""

SCRIPT = """\
#!/bin/sh
# AZURE_DEVOPS_PAT is replaced by the pipeline before this runs
./config.sh --url AZURE_DEVOPS_URL --auth pat --token AZURE_DEVOPS_PAT --pool POOL_NAME
"""

TERRAFORM = """\
resource "azurerm_kubernetes_cluster" "hub" {
  windows_profile {
    admin_password = var.admin_password
  }
  client_secret = azurerm_key_vault_secret.sp.value
}
"""

GRAFANA = """\
apiVersion: 1
datasources:
  - name: loki
    basicAuthPassword: $__file{/etc/secrets/loki-password}
    secureJsonData:
      password: $__env{GF_LOKI_PASSWORD}
"""


def test_expressions_in_code_and_templates_are_references(make_repo, validate_json) -> None:
    repo = make_repo({"app/settings.py": PYTHON, "arm/azuredeploy.json": ARM, "infra/main.tf": TERRAFORM,
                      "grafana/datasources.yaml": GRAFANA, "agent/install.sh": SCRIPT})
    _, report = validate_json(repo, "--select", "secret/")
    # In code only the quoted string literal is a literal secret.
    assert secret_findings(report) == [("secret/sensitive-literal", "app/settings.py", line_of(PYTHON, PW))]


def test_schema_errors_never_echo_a_field_name_that_looks_like_a_secret(make_repo, validate_json) -> None:
    pasted = "gh" + "p_" + secret_fakes.body(36)
    deployment = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        {pasted}: true
        readinesProbe: {{}}
"""
    repo = make_repo({".hubguard.yaml": "hubs:\n  seattle: {roots: [apps]}\n", "apps/deployment.yaml": deployment})
    _, report = validate_json(repo, "--select", "schema/invalid")
    found = [(f["path"], f["line"], f["message"]) for f in report["findings"]]
    assert [(path, line) for path, line, _ in found] == [("apps/deployment.yaml", 16), ("apps/deployment.yaml", 17)]
    assert pasted[:4] + "…(40 chars)" in found[0][2] and pasted not in str(report)
    assert "unknown field 'readinesProbe'; did you mean 'readinessProbe'?" in found[1][2]


FLUX_README = f"""\
# Encrypting secrets with SOPS (as flux2-multi-tenancy's README writes it)

```sh
gpg --list-secret-keys fluxcdbot@users.noreply.github.com
flux create kustomization my-secrets --source=my-secrets --path=./secrets --decryption-provider=sops --decryption-secret=sops-gpg
kubectl create secret generic app --from-literal=x=y
app --secret={PW}
```
"""


def test_flags_that_name_a_secret_or_act_on_secrets_are_not_literals(make_repo, validate_json) -> None:
    repo = make_repo({"README.md": FLUX_README})
    _, report = validate_json(repo, "--select", "secret/")
    # `--list-secret-keys` is a command, `--decryption-secret=sops-gpg` names a Secret object; the
    # literal next to them is still reported.
    assert secret_findings(report) == [("secret/sensitive-literal", "README.md", line_of(FLUX_README, "--secret="))]
