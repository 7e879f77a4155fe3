"""Vetrina's CDK app: one stack per stage, ``vetrina-dev`` and ``vetrina-prod``.

    cd infra && npx aws-cdk@2 deploy -c stage=prod     # one stage (its stack only is synthesised)
    python infra/check.py                              # both stages, offline: synth + cfn-lint

Context: ``stage`` (dev | prod; without it both stacks are synthesised), ``extra_origins``
(comma-separated browser origins allowed to POST uploads besides the API's own URL),
``analyzer_concurrency`` (overrides the stage's analyzer concurrency), ``reserve_concurrency=false``
(cap the analyzer through its event source only, for accounts with a low concurrency limit).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # nothing of python3.11's may land in the staged API project
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# The repository's root after the rest: the stack reads the storage layout from chalicelib/.
if str(HERE.parent) not in sys.path:
    sys.path.append(str(HERE.parent))

import aws_cdk as cdk  # noqa: E402
from stages import STAGES, stack_name  # noqa: E402
from vetrina_stack import VetrinaStack  # noqa: E402


def main() -> None:
    app = cdk.App()
    # Chalice derives the API Gateway service principal from a region while packaging; the stacks
    # themselves are environment-agnostic (the CLI's account and region at deploy time).
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("CDK_DEFAULT_REGION") or "eu-west-1")
    wanted = app.node.try_get_context("stage")
    if wanted is not None and wanted not in STAGES:
        raise SystemExit(f"unknown stage {wanted!r}: one of {', '.join(STAGES)}")
    for name, stage in STAGES.items():
        if wanted not in (None, name):
            continue
        extra = app.node.try_get_context("extra_origins")
        if extra:
            stage = dataclasses.replace(stage, extra_origins=tuple(o.strip() for o in str(extra).split(",") if o.strip()))
        concurrency = app.node.try_get_context("analyzer_concurrency")
        if concurrency:
            stage = dataclasses.replace(stage, analyzer_concurrency=int(concurrency))
        reserve = app.node.try_get_context("reserve_concurrency")
        if reserve is not None:
            stage = dataclasses.replace(stage, reserve_concurrency=str(reserve).lower() not in ("false", "0", "no"))
        VetrinaStack(
            app,
            stack_name(name),
            stage=stage,
            description=f"Vetrina ({name}): window-photo compliance, API (Chalice) and analyzer (image)",
        )
    app.synth()


if __name__ == "__main__":
    main()
