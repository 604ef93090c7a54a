"""Leaks that real repositories commit and a key-name scan does not see (issue 17): YAML inside
strings, literal defaults, command lines, connection strings, `pass`/`secret` keys, Secret data
that is not base64, Helm template defaults, Slack workflow webhooks. Each is asserted by rule,
file and line through the CLI on a real git repository."""

from __future__ import annotations

import string

import secret_fakes

PW = {name: "Lk" + secret_fakes.body(14) for name in ("argo", "config", "jwt", "shell", "args", "dump", "cron", "flag",
                                                         "jdbc", "mssql", "odbc", "mongo", "pass", "secret", "b64",
                                                         "tmpl", "default")}


def line_of(text: str, needle: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


def secret_findings(report: dict) -> list[tuple[str, str, int]]:
    return sorted((f["rule"], f["path"], f["line"]) for f in report["findings"] if f["rule"].startswith("secret/"))


def assert_no_secret_printed(report: dict) -> None:
    assert not [name for name, value in PW.items() if value in str(report)]


ARGO = f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: mongodb
  namespace: argocd
spec:
  project: default
  destination: {{server: https://kubernetes.default.svc, namespace: ratings}}
  source:
    repoURL: https://charts.bitnami.com/bitnami
    chart: mongodb
    targetRevision: 15.6.0
    helm:
      values: |
        architecture: replicaset
        auth:
          rootUser: admin
          rootPassword: {PW["argo"]}
"""

CONFIGMAP = f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  config.yaml: |
    server:
      port: 8080
    database:
      host: db
      password: "{PW["config"]}"
  settings.json: '{{"apiKey": "{PW["jwt"]}"}}'
"""


def test_yaml_and_json_inside_string_fields_are_scanned_at_their_lines(make_repo, validate_json) -> None:
    repo = make_repo({"argocd/mongodb.yaml": ARGO, "apps/settings.yaml": CONFIGMAP})
    _, report = validate_json(repo, "--select", "secret/")
    assert secret_findings(report) == [
        ("secret/sensitive-literal", "apps/settings.yaml", line_of(CONFIGMAP, PW["config"])),
        ("secret/sensitive-literal", "apps/settings.yaml", line_of(CONFIGMAP, PW["jwt"])),  # one-line JSON: its field
        ("secret/sensitive-literal", "argocd/mongodb.yaml", line_of(ARGO, PW["argo"])),
    ]
    argo = next(f for f in report["findings"] if f["path"] == "argocd/mongodb.yaml")
    assert "spec.source.helm.values: key auth.rootPassword" in argo["message"]
    assert_no_secret_printed(report)


DEPLOYMENT = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: ratings
spec:
  selector:
    matchLabels: {{app: api}}
  template:
    metadata:
      labels: {{app: api}}
    spec:
      containers:
      - name: api
        image: api:1
        args: ["--db-user", "ratings", "--db-password", "{PW["args"]}"]
        env:
        - name: JWT_SIGNING_KEY
          value: ${{JWT_SIGNING_KEY:={PW["jwt"]}}}
        - name: DATABASE_URL
          value: jdbc:postgresql://db:5432/ratings?user=ratings&password={PW["jdbc"]}
        - name: SQLSERVER_DSN
          value: "Server=sql;Database=ratings;User Id=sa;Password={PW["mssql"]};"
        - name: ODBC
          value: "Driver={{ODBC Driver 18 for SQL Server}};Server=sql;UID=sa;PWD={{{PW["odbc"]}}};"
        - name: MONGO_URL
          value: mongodb://mongodb:27017/ratings?authSource=admin&password={PW["mongo"]}
        - name: CACHE_URL
          value: ${{CACHE_URL:=redis://cache:6379}}
"""

CRONJOB = f"""\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  namespace: ratings
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: dump
            image: mysql:8
            command: ["/bin/sh", "-c", "mysqldump -u root -p{PW["dump"]} ratings > /backup/ratings.sql"]
            args:
            - --token={PW["cron"]}
            - --password-file=/run/secrets/db
"""

SCRIPT = f"""\
#!/bin/sh
set -eu
DB_PASSWORD="${{DB_PASSWORD:-{PW["shell"]}}}"
psql --host db --password '{PW["flag"]}' -c 'select 1'
az login --service-principal --password "$SP_PASSWORD"
"""


def test_defaults_command_lines_and_connection_strings_are_literals(make_repo, validate_json) -> None:
    repo = make_repo({"apps/deployment.yaml": DEPLOYMENT, "apps/backup.yaml": CRONJOB, "scripts/restore.sh": SCRIPT})
    _, report = validate_json(repo, "--select", "secret/")
    expected = [("apps/deployment.yaml", DEPLOYMENT, PW[n]) for n in ("args", "jwt", "jdbc", "mssql", "odbc", "mongo")]
    expected += [("apps/backup.yaml", CRONJOB, PW["dump"]), ("apps/backup.yaml", CRONJOB, PW["cron"])]
    expected += [("scripts/restore.sh", SCRIPT, PW["shell"]), ("scripts/restore.sh", SCRIPT, PW["flag"])]
    assert secret_findings(report) == sorted(("secret/sensitive-literal", path, line_of(text, value)) for path, text, value in expected)
    messages = {f["line"]: f["message"] for f in report["findings"] if f["path"] == "apps/deployment.yaml"}
    assert "default of JWT_SIGNING_KEY" in messages[line_of(DEPLOYMENT, PW["jwt"])]
    assert "connection-string part Password" in messages[line_of(DEPLOYMENT, PW["mssql"])]
    assert_no_secret_printed(report)


def test_pass_and_secret_keys_and_secret_data_that_is_not_base64(make_repo, validate_json) -> None:
    # The Azure Stack Hub sample's values.yaml: `pass: "password"` is the MongoDB password it deploys.
    values = f'mongodb:\n  user: "ratings"\n  pass:     "password"\nwebhook:\n  secret: {PW["secret"]}\nbypass: {PW["pass"]}\n'
    secret = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  username: cmF0aW5ncw==\n  password: {PW['b64']}!\n"
    repo = make_repo({"application/helm/values.yaml": values, "apps/secret.yaml": secret})
    _, report = validate_json(repo, "--select", "secret/")
    assert secret_findings(report) == [
        ("secret/plaintext-secret", "apps/secret.yaml", 6),
        ("secret/plaintext-secret", "apps/secret.yaml", 7),
        ("secret/sensitive-literal", "application/helm/values.yaml", 3),
        ("secret/sensitive-literal", "application/helm/values.yaml", 5),
    ]
    invalid = next(f for f in report["findings"] if f["line"] == 7 and f["path"] == "apps/secret.yaml")
    assert "data.password" in invalid["message"] and "not valid base64" in invalid["message"]
    assert_no_secret_printed(report)


TEMPLATE = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ include "ratings.fullname" . }}}}
spec:
  template:
    spec:
      containers:
      - name: api
        image: "{{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag }}}}"
        env:
        {{{{- if .Values.mongo.enabled }}}}
        - name: MONGO_PASSWORD
          value: "{PW["tmpl"]}"
        {{{{- end }}}}
        - name: ADMIN_PASSWORD
          value: {{{{ .Values.adminPassword | default "{PW["default"]}" | quote }}}}
        - name: API_TOKEN
          value: {{{{ .Values.apiToken | quote }}}}
"""


def test_helm_templates_with_literal_credentials(make_repo, validate_json) -> None:
    repo = make_repo({"charts/ratings/Chart.yaml": "apiVersion: v2\nname: ratings\nversion: 0.1.0\n",
                      "charts/ratings/templates/deployment.yaml": TEMPLATE})
    _, report = validate_json(repo, "--select", "secret/")
    path = "charts/ratings/templates/deployment.yaml"
    assert secret_findings(report) == [("secret/sensitive-literal", path, line_of(TEMPLATE, PW["tmpl"])),
                                       ("secret/sensitive-literal", path, line_of(TEMPLATE, PW["default"]))]
    assert_no_secret_printed(report)


def test_slack_workflow_and_http_webhooks(make_repo, validate_json) -> None:
    team, app = "T" + secret_fakes.body(10, string.ascii_uppercase + string.digits), "A" + secret_fakes.body(10, string.ascii_uppercase + string.digits)
    workflow = "https://hooks.slack" + f".com/workflows/{team}/{app}/{secret_fakes.body(18, string.digits)}/{secret_fakes.body(24)}"
    plain_http = "http://hooks.slack" + f".com/services/{team}/B{secret_fakes.body(10, string.ascii_uppercase)}/{secret_fakes.body(24)}"
    text = f"alerting:\n  release_hook: {workflow}\n  legacy_hook: {plain_http}\n"
    repo = make_repo({"config/alerts.yaml": text})
    _, report = validate_json(repo, "--select", "secret/")
    assert secret_findings(report) == [("secret/known-token", "config/alerts.yaml", 2), ("secret/known-token", "config/alerts.yaml", 3)]
    assert workflow not in str(report) and plain_http not in str(report)
