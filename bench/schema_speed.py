"""Schema validation speed: hubguard's cached validators vs the kubernetes-validate CLI.

    python bench/schema_speed.py [--objects 1000] [--version 1.30] [--keep DIR]

Writes N typical objects (Deployment, Service, ConfigMap, HPA, PDB, NetworkPolicy, Ingress,
ServiceAccount), one file each, then validates the same files twice, strictly:

- hubguard: read and parse every file, validate with `hubguard.rules.schema.kubernetes_schemas` (definitions loaded once,
  one validator per kind), all errors collected; measured cold (first use in the process, loading
  included), then warm (caches filled; least CPU time of 3 rounds) with the Draft 7 class
  hubguard uses and with the Draft 2020-12 class the schemas declare, for comparison;
- `kubernetes-validate --strict -k VERSION FILE...` in one process (its validate() re-reads the
  1.6 MB definitions for every object).

Prints the time per 1,000 objects for each and the ratio of CPU times (target: hubguard at least
20x faster; wall times are printed too, but swing with whatever else the machine runs).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jsonschema
import yaml
from hubguard.rules.schema import kubernetes_schemas

TEMPLATES = [
    """apiVersion: apps/v1
kind: Deployment
metadata: {{name: app{i}, namespace: ns{i}, labels: {{app: app{i}}}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: app{i}}}}}
  template:
    metadata: {{labels: {{app: app{i}}}}}
    spec:
      containers:
      - name: app
        image: registry.example.local/app{i}:1.0.{i}
        ports: [{{containerPort: 8080, name: http}}]
        env: [{{name: LOG_LEVEL, value: info}}, {{name: PORT, value: "8080"}}]
        resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{memory: 256Mi}}}}
        readinessProbe: {{httpGet: {{path: /ready, port: http}}}}
        livenessProbe: {{httpGet: {{path: /healthz, port: http}}}}
      topologySpreadConstraints:
      - {{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule,
         labelSelector: {{matchLabels: {{app: app{i}}}}}}}
""",
    """apiVersion: v1
kind: Service
metadata: {{name: app{i}, namespace: ns{i}}}
spec:
  selector: {{app: app{i}}}
  ports: [{{name: http, port: 80, targetPort: http}}]
""",
    """apiVersion: v1
kind: ConfigMap
metadata: {{name: app{i}-settings, namespace: ns{i}}}
data: {{LOG_LEVEL: info, FEATURE_FLAGS: "a,b,c"}}
""",
    """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: app{i}, namespace: ns{i}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: app{i}}}
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}
""",
    """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: app{i}, namespace: ns{i}}}
spec: {{minAvailable: 1, selector: {{matchLabels: {{app: app{i}}}}}}}
""",
    """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: app{i}-egress, namespace: ns{i}}}
spec:
  podSelector: {{matchLabels: {{app: app{i}}}}}
  policyTypes: [Egress]
  egress:
  - to: [{{ipBlock: {{cidr: 10.10.0.0/16}}}}]
    ports: [{{protocol: TCP, port: 27017}}]
""",
    """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: app{i}, namespace: ns{i}}}
spec:
  ingressClassName: nginx
  tls: [{{hosts: [app{i}.example.local], secretName: app{i}-tls}}]
  rules:
  - host: app{i}.example.local
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: app{i}, port: {{number: 80}}}}}}}}
""",
    """apiVersion: v1
kind: ServiceAccount
metadata: {{name: app{i}, namespace: ns{i}}}
automountServiceAccountToken: false
""",
]


def write_corpus(folder: Path, count: int) -> list[Path]:
    files = []
    for n in range(count):
        path = folder / f"obj{n:05d}.yaml"
        path.write_text(TEMPLATES[n % len(TEMPLATES)].format(i=n // len(TEMPLATES)), encoding="utf-8")
        files.append(path)
    return files


def hubguard_validate(files: list[Path], version: tuple[int, int], validator_class=None, clock=time.perf_counter):
    """Seconds to read, parse and fully validate every file; and the number of errors found."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    built: dict = {}
    started = clock()
    errors = 0
    for path in files:
        for obj in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader):
            validator = kubernetes_schemas.core_validator(version, True, obj["kind"], obj["apiVersion"])
            if validator_class is not None:
                key = (obj["kind"], obj["apiVersion"])
                if key not in built:
                    built[key] = validator_class(validator.schema, registry=kubernetes_schemas.core_registry(version, True))
                validator = built[key]
            errors += sum(1 for _ in validator.iter_errors(obj))
    return clock() - started, errors


def best_cpu(files: list[Path], version: tuple[int, int], validator_class, rounds: int = 3) -> float:
    """Least CPU time of a few rounds: robust against other processes sharing the machine."""
    return min(hubguard_validate(files, version, validator_class, time.process_time)[0] for _ in range(rounds))


def cli_validate(files: list[Path], version: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one kubernetes-validate run over every file."""
    exe = shutil.which("kubernetes-validate") or str(Path(sys.executable).parent / "kubernetes-validate")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([exe, "--strict", "--quiet", "-k", version, *map(str, files)], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"kubernetes-validate failed ({result.returncode}): {result.stdout[-500:]}{result.stderr[-500:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--version", default="1.30")
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    args = parser.parse_args()
    version = kubernetes_schemas.schema_version(args.version)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hubguard-schema-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        files = write_corpus(folder, args.objects)
        per_k = 1000 / args.objects
        cpu_started = time.process_time()
        cold, errors = hubguard_validate(files, version)
        cold_cpu = time.process_time() - cpu_started
        draft7 = best_cpu(files, version, jsonschema.Draft7Validator)
        draft2020 = best_cpu(files, version, jsonschema.Draft202012Validator)
        if errors:
            raise SystemExit(f"the corpus should be valid, hubguard found {errors} errors")
        cli, cli_cpu = cli_validate(files, args.version)
        print(f"objects: {args.objects}  Kubernetes {kubernetes_schemas.version_text(version)}  strict")
        print(f"hubguard (cold, loading included): {cold * per_k:8.3f} s per 1,000 objects ({cold_cpu * per_k:.3f} s CPU)")
        print(f"hubguard (warm, Draft 7, CPU):     {draft7 * per_k:8.3f} s per 1,000 objects")
        print(f"hubguard (warm, Draft 2020-12, CPU): {draft2020 * per_k:6.3f} s per 1,000 objects")
        print(f"kubernetes-validate CLI:           {cli * per_k:8.3f} s per 1,000 objects ({cli_cpu * per_k:.3f} s CPU)")
        # CPU time, not wall time: other processes on a shared machine skew wall times unevenly.
        ratio = cli_cpu / cold_cpu
        print(f"ratio (CLI / hubguard cold, CPU time): {ratio:.1f}x  (target >= 20x; wall time: {cli / cold:.1f}x)")
        return 0 if ratio >= 20 else 1
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
