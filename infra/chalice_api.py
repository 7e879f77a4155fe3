"""The API functions through chalice.cdk, packaged for python3.12 without the image stack.

Chalice packages a project folder: app.py, chalicelib/, vendor/ and the dependencies of its
requirements.txt, which it builds for the Python running it (3.11 here: it would target the
python3.11 runtime and skip the manylinux_2_28 wheels). So chalice.cdk is handed a staged
project instead of the repository:

- ``app.py`` and ``chalicelib/`` as build_artifacts.py stages the API (no vision/, no local-only
  entry points), with their python3.12 bytecode;
- ``vendor/``: the rest of that staging, the API's dependencies built from python3.12 manylinux
  wheels (chalice copies vendor/ to the top of the zip as it is);
- an empty ``requirements.txt`` (nothing for chalice to build) and the repository's
  ``.chalice/config.json``.

The included template is then adjusted: the function runs python3.12 under a fixed name, by
which the REST API invokes it; the analyzer that Chalice would package from
``@app.on_sqs_message`` is removed (the analyzer is the container image, the only consumer of the
queue); every Cognito authorizer points at the stack's user pool. The recovery handlers (the
dead-letter queue's consumer and the sweep's schedule, chalicelib.services.recovery) need no
image stack: they ship in the API's zip, on python3.12, with the API's role.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from chalice import CognitoUserPoolAuthorizer
from chalice.cdk import Chalice

from chalicelib.api.gateway import not_found_gateway_responses

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_artifacts  # noqa: E402  (infra/build_artifacts.py)

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "infra"
RUNTIME = "python3.12"
API_FUNCTION = "APIHandler"
# Chalice functions that do not deploy as zips, by logical id: the analyzer is the container image.
REPLACED_BY_IMAGE = ("Analyze",)
# Chalice functions deployed from the API's zip besides the API: app.stop_dead_letters, app.sweep.
RECOVERY_FUNCTIONS = ("StopDeadLetters", "Sweep")
FIXED_MTIME = 1577836800  # 2020-01-01: the staged files' times, so the zip Chalice writes is reproducible


@functools.cache
def project_dir(arch: str) -> Path:
    """The Chalice project to package for ``arch`` (staged once per process)."""
    import chalice

    pin = build_artifacts.chalice_pin()
    if chalice.__version__ != pin:
        # Chalice adds its own chalice/app.py to the zip; the bytecode beside it is of the pinned one.
        raise SystemExit(f"chalice {chalice.__version__} is installed, requirements-dev.txt pins {pin}")
    base = BUILD / f"api-{arch}"
    tree = build_artifacts.stage("api", arch, base / "tree")
    project = base / "project"
    shutil.rmtree(project, ignore_errors=True)
    (project / ".chalice").mkdir(parents=True)
    vendor = project / "vendor"
    shutil.move(tree / "app.py", project / "app.py")
    shutil.move(tree / "chalicelib", project / "chalicelib")
    for source in (tree / "chalice").glob("*.py"):
        source.unlink()  # Chalice's packager adds chalice/__init__.py and chalice/app.py itself
    shutil.move(tree, vendor)  # the dependencies, chalice's and app.py's bytecode (__pycache__/)
    shutil.copy2(ROOT / ".chalice" / "config.json", project / ".chalice" / "config.json")
    (project / "requirements.txt").write_text("")
    for path in project.rglob("*"):
        os.utime(path, (FIXED_MTIME, FIXED_MTIME), follow_symlinks=False)
    return project


@functools.cache
def work_dir() -> Path:
    """Where chalice.cdk writes its packages (./chalice.out, a new one per stack and run): emptied
    once per process, as the assets of earlier runs are already in their cdk.out."""
    work = BUILD / "chalice-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return work


def chalice_api(stack: cdk.Stack, *, arch: str, function_name: str, stage_config: dict[str, Any], user_pool_arn: str) -> Chalice:
    """The Chalice app in ``stack`` (Chalice's stage is the stack's name), adjusted as above."""
    project = project_dir(arch)
    work = work_dir()
    # Chalice imports app.py with the stage's environment: a fresh import for each stack, or a value
    # app.py read at import (a token of another stack) would leak into this stack's template.
    sys.modules.pop("app", None)
    # chalice.cdk writes its packages to ./chalice.out: keep them under build/.
    with contextlib.chdir(work):
        api = Chalice(stack, "Api", source_dir=str(project), stage_config=stage_config)
    included = api.sam_template
    functions = {
        child.node.id
        for child in included.node.children
        if isinstance(child, cdk.CfnResource) and child.cfn_resource_type == "AWS::Serverless::Function"
    }
    unexpected = functions - {API_FUNCTION, *REPLACED_BY_IMAGE, *RECOVERY_FUNCTIONS}
    if unexpected:
        # A new Chalice handler: decide whether it deploys as a zip (python3.12) or joins the image.
        raise SystemExit(f"Chalice packaged functions this CDK app does not know: {sorted(unexpected)}")
    for name in REPLACED_BY_IMAGE:
        if name in functions:
            included.node.try_remove_child(name)
    handler = api.get_resource(API_FUNCTION)
    handler.add_property_override("Runtime", RUNTIME)
    handler.add_property_override("FunctionName", function_name)
    for name in RECOVERY_FUNCTIONS:
        recovery = api.get_resource(name)
        recovery.add_property_override("Runtime", RUNTIME)
        recovery.add_property_override("FunctionName", f"{function_name}-{kebab(name)}")
    app = loaded_app(project)
    rest_api = api.get_resource("RestAPI")
    # The REST API reaches the function by its (fixed) name, not through the function resource: the
    # user pool's app client lists the pages' URLs (the REST API's id) as sign-in callbacks, and the
    # function's environment names that client, so a reference from the API to the function would
    # close a cycle.
    uri = {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
        f"{function_name}/invocations"
    }
    for path, methods in app.routes.items():
        for method in methods:
            rest_api.add_property_override(
                f"DefinitionBody.paths.{_escaped(path)}.{method.lower()}.x-amazon-apigateway-integration.uri", uri
            )
    # A path the API does not have: a 404 in the API's error format, not API Gateway's 403.
    rest_api.add_property_override("DefinitionBody.x-amazon-apigateway-gateway-responses", not_found_gateway_responses())
    for name in cognito_authorizers(app):
        rest_api.add_property_override(
            f"DefinitionBody.securityDefinitions.{_escaped(name)}.x-amazon-apigateway-authorizer.providerARNs", [user_pool_arn]
        )
    return api


def kebab(name: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")


def _escaped(key: str) -> str:
    """A key inside a CDK override path (dots separate the levels)."""
    return key.replace(".", "\\.")


def loaded_app(project: Path) -> Any:
    """The Chalice app object Chalice just imported from the project."""
    from chalice.cli.factory import CLIFactory

    return CLIFactory(str(project)).load_chalice_app()


def cognito_authorizers(app: Any) -> list[str]:
    """The names of the Cognito user-pool authorizers the app's routes use."""
    names = set()
    for methods in app.routes.values():
        for entry in methods.values():
            if isinstance(entry.authorizer, CognitoUserPoolAuthorizer):
                names.add(entry.authorizer.name)
    return sorted(names)
