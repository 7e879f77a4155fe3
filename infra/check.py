"""Synthesise the CDK app offline and lint its templates: what CI runs, no AWS account needed.

    .venv/bin/python infra/check.py [--stage dev|prod] [--out build/infra/cdk.out]

1. runs infra/cdk_app.py (``app.synth()``; node runs the CDK's jsii kernel, the CDK CLI is not
   needed) into a fresh output folder: the templates, the API's zip asset (packaged by Chalice from
   the python3.12 staging) and the analyzer image's build context (staged, not built: no Docker);
2. runs cfn-lint on each template (the SAM part is translated by cfn-lint itself);
3. prints a short summary per stack and the timings. Exit status 1 if either step fails.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = ROOT / "build" / "infra" / "cdk.out"
# W3005 (a DependsOn already implied by a Ref/GetAtt): the CDK's own constructs add such DependsOn
# (the bucket-notification handler, the function roles); harmless, and not ours to remove.
LINT_IGNORED = ["W3005"]
LINT_REGIONS = ["eu-west-1", "us-east-1"]


def synth(out: Path, stage: str | None = None) -> float:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {
        **os.environ,
        "CDK_OUTDIR": str(out),
        # jsii's banner about the machine's node version (the synth works on node 20 too)
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    # The context the CDK CLI would hand the app (cdk.json's feature flags, the metadata it asks for),
    # so that what is linted and tested here is what `cdk deploy` deploys.
    context = {
        **json.loads((HERE / "cdk.json").read_text()).get("context", {}),
        "aws:cdk:enable-path-metadata": True,
        "aws:cdk:enable-asset-metadata": True,
        "aws:cdk:version-reporting": True,
    }
    if stage:
        context["stage"] = stage
    env["CDK_CONTEXT_JSON"] = json.dumps(context)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(HERE / "cdk_app.py")], cwd=HERE, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-6000:])
        raise SystemExit(f"synth failed (exit status {proc.returncode})")
    return elapsed


def lint(templates: list[Path]) -> tuple[bool, str, float]:
    start = time.perf_counter()
    runner = [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]
    proc = subprocess.run(
        [*runner, "--regions", *LINT_REGIONS, "--ignore-checks", *LINT_IGNORED, "--", *map(str, templates)],
        capture_output=True,
        text=True,
    )
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip(), time.perf_counter() - start


def summary(out: Path, template_path: Path) -> list[str]:
    template = json.loads(template_path.read_text())
    resources = template["Resources"]
    kinds = collections.Counter(r["Type"].split("::", 1)[1] for r in resources.values())
    lines = [
        f"{template_path.name.removesuffix('.template.json')}: {len(resources)} resources "
        f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})"
    ]
    for logical, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function" and props.get("PackageType") == "Image":
            lines.append(
                f"  analyzer {logical}: image, {props.get('MemorySize')} MB, {props.get('Timeout')} s, "
                f"reserved concurrency {props.get('ReservedConcurrentExecutions')}"
            )
        if resource["Type"] == "AWS::Serverless::Function":
            code = props.get("CodeUri", {})
            key = code.get("Key", "") if isinstance(code, dict) else ""
            asset = out / f"asset.{key}" if key else None
            size = f", zip {asset.stat().st_size / 2**20:.1f} MiB" if asset and asset.is_file() else ""
            lines.append(f"  API {logical}: {props.get('Runtime')}, {props.get('MemorySize')} MB{size}")
        if "DeletionPolicy" in resource and resource["Type"] in (
            "AWS::S3::Bucket",
            "AWS::DynamoDB::Table",
            "AWS::Cognito::UserPool",
        ):
            lines.append(f"  {resource['Type']} {logical}: DeletionPolicy {resource['DeletionPolicy']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", choices=("dev", "prod"), help="only this stage's stack (default: both)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    synth_s = synth(args.out, args.stage)
    templates = sorted(args.out.glob("*.template.json"))
    if not templates:
        print(f"no templates in {args.out}", file=sys.stderr)
        return 1
    ok, report, lint_s = lint(templates)
    for template in templates:
        print("\n".join(summary(args.out, template)))
    print(f"synth: {synth_s:.1f} s ({len(templates)} stacks, into {args.out})")
    print(
        f"cfn-lint: {'clean' if ok else 'FINDINGS'} in {lint_s:.1f} s (regions {', '.join(LINT_REGIONS)}; "
        f"ignored {', '.join(LINT_IGNORED)})"
    )
    if not ok:
        print(report)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
