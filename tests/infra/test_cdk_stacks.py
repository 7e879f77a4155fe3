"""The CDK app (infra/), synthesised offline by infra/check.py (which also runs cfn-lint): the
security properties of both stages' templates, the API's zip asset and the analyzer's image
build context, on which the image build's own step is run outside Docker."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib.storage.layout import (
    DERIVED_PREFIX,
    EXPORT_PREFIX,
    PACK_PREFIX,
    TABLE_KEY_SCHEMA,
    TRIAL_PREFIX,
    TTL_ATTRIBUTE,
    UPLOAD_PREFIX,
)
from tests.support.helpers import api_gateway_event, package_index_reachable, python312

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "infra" / "check.py"
STAGES = ("dev", "prod")
CACHE = Path(os.environ.get("VETRINA_ARTIFACT_CACHE", Path.home() / ".cache" / "vetrina-artifacts"))
HEAVY = ("numpy", "cv2", "onnxruntime", "PIL", "pillow_heif", "rapidfuzz")
DATA_SERVICES = ("s3", "dynamodb", "sqs", "sns", "kms")
# Routes anyone may call (app.py: PUBLIC): the pages, their assets, the API's description and the
# local backend's signed-link stand-ins. Every other route needs a Cognito ID token.
PUBLIC_PATHS = {
    "/",
    "/gallery",
    "/review",
    "/static/{name}",
    "/openapi.json",
    "/local/uploads",
    "/local/blobs",
    "/hq",
    "/hq/stores",
    "/hq/campaigns/{campaign_id}",
}  # HQ's pages sign in in the browser
DATA_ENV = {
    "VETRINA_BACKEND",
    "VETRINA_AUTH",
    "VETRINA_BUCKET",
    "VETRINA_TABLE",
    "VETRINA_QUEUE_NAME",
    "VETRINA_TOPIC_ARN",
    "VETRINA_LEASE_SECONDS",
    "VETRINA_MAX_ATTEMPTS",
    "VETRINA_USER_POOL_ID",
    "VETRINA_USER_POOL_CLIENT_ID",
    "VETRINA_USER_POOL_DOMAIN",
}
RECORDS_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
}


def _wheels_available() -> bool:
    """The synth stages the API from python3.12 wheels: cached, or from pip's configured index."""
    return len(list((CACHE / "cp312-x86_64").glob("*.whl"))) >= 8 or package_index_reachable()


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> tuple[Path, str]:
    import importlib.util
    import shutil

    missing = [m for m in ("aws_cdk", "constructs", "cfnlint") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: pip install -r infra/requirements.txt (make test does)")
    if shutil.which("node") is None:
        pytest.fail("the CDK synth needs node (the CDK's jsii kernel runs on it)")
    if not _wheels_available():
        pytest.skip("the package index is unreachable and the wheel cache is empty: cannot stage the API")
    out = tmp_path_factory.mktemp("cdk") / "cdk.out"
    proc = subprocess.run([sys.executable, str(CHECK), "--out", str(out)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"infra/check.py failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"
    return out, proc.stdout


@pytest.fixture(scope="module")
def templates(synth) -> dict[str, dict[str, Any]]:
    out, _ = synth
    return {stage: json.loads((out / f"vetrina-{stage}.template.json").read_text()) for stage in STAGES}


@pytest.fixture(params=STAGES)
def template(request, templates) -> dict[str, Any]:
    return templates[request.param]


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def one(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = of_type(template, kind)
    assert len(found) == 1, f"{len(found)} resources of type {kind}: {sorted(found)}"
    return next(iter(found.items()))


def queues(template: dict[str, Any]) -> tuple[str, str]:
    """(analysis queue, dead-letter queue) logical ids."""
    found = of_type(template, "AWS::SQS::Queue")
    main = [k for k, q in found.items() if "RedrivePolicy" in q["Properties"]]
    dead = [k for k in found if k not in main]
    assert len(main) == 1 and len(dead) == 1, sorted(found)
    return main[0], dead[0]


def analyzer(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    images = {
        k: f for k, f in of_type(template, "AWS::Lambda::Function").items() if f["Properties"].get("PackageType") == "Image"
    }
    assert len(images) == 1, sorted(images)
    return next(iter(images.items()))


def names(template: dict[str, Any]) -> dict[str, str]:
    """Logical id → a readable name for the data resources (bucket, table, queue, dlq, topic)."""
    main, dead = queues(template)
    found = {
        main: "queue",
        dead: "dlq",
        one(template, "AWS::S3::Bucket")[0]: "bucket",
        one(template, "AWS::DynamoDB::Table")[0]: "table",
        one(template, "AWS::SNS::Topic")[0]: "topic",
    }
    return found


def render(value: Any, named: dict[str, str]) -> str:
    """A policy resource as text: data resources by name, e.g. ``bucket/incoming/*``, ``table/index/*``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        return named.get(logical, f"<{logical}.{attribute}>") if attribute == "Arn" else f"<{logical}.{attribute}>"
    if isinstance(value, dict) and "Ref" in value:
        return named.get(value["Ref"], f"<{value['Ref']}>")
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(p, named) for p in parts)
    return json.dumps(value)


def statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every identity-policy statement of the template, with the logical id that holds it."""
    found = []
    for logical, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        docs = []
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            docs.append(props["PolicyDocument"])
        if resource["Type"] == "AWS::IAM::Role":
            docs += [p["PolicyDocument"] for p in props.get("Policies", [])]
        if resource["Type"] == "AWS::Serverless::Function":
            docs += [p for p in props.get("Policies", []) if isinstance(p, dict) and "Statement" in p]
        for doc in docs:
            found += [(logical, s) for s in doc["Statement"]]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_grants(template: dict[str, Any], role_logical: str) -> set[tuple[str, str]]:
    """(action, resource) pairs the role's policies allow, resources named by ``render``."""
    named = names(template)
    grants = set()
    for _, policy in of_type(template, "AWS::IAM::Policy").items():
        props = policy["Properties"]
        if {"Ref": role_logical} not in props.get("Roles", []):
            continue
        for statement in props["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    grants.add((action, render(resource, named)))
    return grants


# --- the check script ---------------------------------------------------------------------------


def test_check_script_synthesises_both_stages_and_cfn_lint_is_clean(synth, capsys):
    out, stdout = synth
    assert "cfn-lint: clean" in stdout, stdout
    assert {p.name for p in out.glob("*.template.json")} == {"vetrina-dev.template.json", "vetrina-prod.template.json"}
    with capsys.disabled():
        print("\n" + "\n".join(line for line in stdout.splitlines() if not line.startswith("  ")))


def test_stacks_are_independent(templates):
    for template in templates.values():
        text = json.dumps(template)
        assert "Fn::ImportValue" not in text
        assert not [k for k, o in template.get("Outputs", {}).items() if "Export" in o]


# --- storage ------------------------------------------------------------------------------------


def test_bucket_is_private_encrypted_and_tls_only(template):
    logical, bucket = one(template, "AWS::S3::Bucket")
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules and all(r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms") for r in rules)
    _, policy = one(template, "AWS::S3::BucketPolicy")
    assert policy["Properties"]["Bucket"] == {"Ref": logical}
    denials = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert denials, "no statement denies requests without TLS"
    named = names(template)
    covered = {render(r, named) for s in denials for r in as_list(s["Resource"])}
    assert {"bucket", "bucket/*"} <= covered
    assert all(s["Principal"] in ("*", {"AWS": "*"}) and s["Action"] in ("s3:*", ["s3:*"]) for s in denials)


def test_bucket_lifecycle_and_cors(template):
    _, bucket = one(template, "AWS::S3::Bucket")
    props = bucket["Properties"]
    rules = props["LifecycleConfiguration"]["Rules"]
    assert all(r["Status"] == "Enabled" for r in rules)
    incoming = [r for r in rules if (r.get("Prefix") or r.get("Filter", {}).get("Prefix")) == UPLOAD_PREFIX]
    assert incoming and all(r.get("ExpirationInDays", 0) > 0 for r in incoming)
    # HQ's test photos go within days, every version of them
    trials = [r for r in rules if (r.get("Prefix") or r.get("Filter", {}).get("Prefix")) == TRIAL_PREFIX]
    assert trials and all(
        0 < r["ExpirationInDays"] <= 7 and r["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 7 for r in trials
    )
    assert any(r.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation", 0) > 0 for r in rules)
    (cors,) = props["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["POST"]
    assert "*" not in cors["AllowedOrigins"]
    # the pages' origin: the API's own URL (the pages are served by the Chalice API)
    assert any(
        '{"Ref": "RestAPI"}' in json.dumps(origin) and "https://" in json.dumps(origin) for origin in cors["AllowedOrigins"]
    ), cors


def test_uploads_under_incoming_notify_the_analysis_queue(template):
    main, _ = queues(template)
    bucket_logical, _ = one(template, "AWS::S3::Bucket")
    _, notifications = one(template, "Custom::S3BucketNotifications")
    props = notifications["Properties"]
    assert props["BucketName"] == {"Ref": bucket_logical}
    (config,) = props["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": UPLOAD_PREFIX}]
    assert config["QueueArn"] == {"Fn::GetAtt": [main, "Arn"]}
    # the queue lets S3 send from this bucket only
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in of_type(template, "AWS::SQS::QueuePolicy").values()
        if {"Ref": main} in p["Properties"]["Queues"]
    ]
    s3_sends = [s for doc in policies for s in doc if s.get("Principal") == {"Service": "s3.amazonaws.com"}]
    assert s3_sends and all(
        s["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": [bucket_logical, "Arn"]} for s in s3_sends
    )


def test_queues_encrypted_with_dead_letter_queue_and_alarm(template):
    main, dead = queues(template)
    resources = template["Resources"]
    for logical in (main, dead):
        props = resources[logical]["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, logical
    redrive = resources[main]["Properties"]["RedrivePolicy"]
    assert redrive == {"deadLetterTargetArn": {"Fn::GetAtt": [dead, "Arn"]}, "maxReceiveCount": 3}
    assert resources[dead]["Properties"]["QueueName"] == resources[main]["Properties"]["QueueName"] + "-dlq"
    _, function = analyzer(template)
    assert resources[main]["Properties"]["VisibilityTimeout"] >= 6 * function["Properties"]["Timeout"]
    _, alarm = one(template, "AWS::CloudWatch::Alarm")
    props = alarm["Properties"]
    assert (props["Namespace"], props["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert props["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dead, "QueueName"]}}]
    assert (props["ComparisonOperator"], props["Threshold"]) == ("GreaterThanThreshold", 0)


def test_table_matches_the_record_store_schema_with_pitr_and_encryption(template):
    _, table = one(template, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    # trials (and whatever else carries it) expire: DynamoDB deletes the items past their TTL attribute
    assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert sorted(props["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == sorted(
        TABLE_KEY_SCHEMA["AttributeDefinitions"], key=lambda d: d["AttributeName"]
    )
    indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
    expected = {i["IndexName"]: i for i in TABLE_KEY_SCHEMA["GlobalSecondaryIndexes"]}
    assert "gsi1" in expected and set(indexes) == set(expected)
    for name, index in expected.items():
        assert indexes[name]["KeySchema"] == index["KeySchema"]
        assert indexes[name]["Projection"] == {"ProjectionType": "ALL"} == index["Projection"]


def test_topic_is_encrypted(template):
    _, topic = one(template, "AWS::SNS::Topic")
    assert topic["Properties"].get("KmsMasterKeyId")


# --- users ----------------------------------------------------------------------------------------


def test_user_pool_admin_created_users_groups_and_scope_attributes(template):
    pool_logical, pool = one(template, "AWS::Cognito::UserPool")
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True  # no self sign-up
    custom = {
        a["Name"]: a for a in props["Schema"] if a.get("AttributeDataType") == "String" and a["Name"] in ("stores", "regions")
    }
    assert set(custom) == {"stores", "regions"} and all(a["Mutable"] is True for a in custom.values())
    groups = {
        g["Properties"]["GroupName"]: g["Properties"]["UserPoolId"]
        for g in of_type(template, "AWS::Cognito::UserPoolGroup").values()
    }
    assert groups == {name: {"Ref": pool_logical} for name in ("store", "merchandiser", "hq")}
    _, client = one(template, "AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    assert props["UserPoolId"] == {"Ref": pool_logical}
    assert props["GenerateSecret"] is False
    assert {"custom:stores", "custom:regions"} <= set(props["ReadAttributes"])
    # users must not widen their own scope
    assert not [a for a in props["WriteAttributes"] if a.startswith("custom:")]
    # the hosted sign-in hands the ID token back to the page it was opened from (session.js reads it)
    assert props["AllowedOAuthFlows"] == ["implicit"] and "openid" in props["AllowedOAuthScopes"]
    pages = [json.dumps(url) for url in props["CallbackURLs"]]
    assert len(pages) >= 3 and all('{"Ref": "RestAPI"}' in url for url in pages)
    assert {url.rsplit("/api", 1)[1] for url in pages} >= {'/"]]}', '/gallery"]]}', '/review"]]}'}
    _, domain = one(template, "AWS::Cognito::UserPoolDomain")
    assert domain["Properties"]["UserPoolId"] == {"Ref": pool_logical}


# --- permissions ----------------------------------------------------------------------------------


def test_no_wildcard_actions_on_data_resources(template):
    for logical, statement in statements(template):
        if statement["Effect"] != "Allow":
            continue
        for action in as_list(statement["Action"]):
            service = action.split(":", 1)[0]
            assert action != "*", (logical, statement)
            if service in DATA_SERVICES:
                assert "*" not in action, (logical, statement)
                assert "*" not in as_list(statement["Resource"]), (logical, statement)


def test_api_role_is_least_privilege(template):
    named = names(template)
    handler = template["Resources"]["APIHandler"]
    role = handler["Properties"]["Role"]["Fn::GetAtt"][0]
    grants = role_grants(template, role)
    expected = {
        (a, f"bucket/{p}*")
        for p in (UPLOAD_PREFIX, DERIVED_PREFIX, PACK_PREFIX, EXPORT_PREFIX, TRIAL_PREFIX)
        for a in ("s3:GetObject", "s3:GetObjectVersion")
    }
    expected |= {("s3:PutObject", f"bucket/{p}*") for p in (UPLOAD_PREFIX, PACK_PREFIX, TRIAL_PREFIX)}
    expected |= {("s3:ListBucket", "bucket")}
    expected |= {(a, r) for a in RECORDS_ACTIONS for r in ("table", "table/index/*")}
    expected |= {("sqs:SendMessage", "queue"), ("sqs:GetQueueUrl", "queue"), ("sns:Publish", "topic")}
    # the dead-letter queue's consumer (app.stop_dead_letters) runs with this role
    expected |= {
        (f"sqs:{a}", "dlq") for a in ("ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes")
    }
    assert grants == expected, sorted(grants ^ expected)
    assert set(named.values()) >= {"bucket", "table", "queue", "topic"}


def test_analyzer_role_is_least_privilege(template):
    logical, function = analyzer(template)
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    grants = role_grants(template, role)
    expected = {
        (a, f"bucket/{p}*")
        for p in (UPLOAD_PREFIX, PACK_PREFIX, DERIVED_PREFIX, TRIAL_PREFIX)
        for a in ("s3:GetObject", "s3:GetObjectVersion")
    }
    expected |= {("s3:PutObject", f"bucket/{p}*") for p in (DERIVED_PREFIX, EXPORT_PREFIX, TRIAL_PREFIX)}
    expected |= {("s3:ListBucket", "bucket")}
    expected |= {(a, r) for a in RECORDS_ACTIONS for r in ("table", "table/index/*")}
    expected |= {
        (f"sqs:{a}", "queue")
        for a in (
            "ReceiveMessage",
            "DeleteMessage",
            "ChangeMessageVisibility",
            "GetQueueAttributes",
            "GetQueueUrl",
            "SendMessage",
        )
    }
    expected |= {("sns:Publish", "topic")}
    assert grants == expected, sorted(grants ^ expected)


# --- functions ------------------------------------------------------------------------------------


def test_analyzer_is_a_container_image_on_the_queue_with_batch_size_1(template):
    logical, function = analyzer(template)
    props = function["Properties"]
    assert props["PackageType"] == "Image" and "ImageUri" in props["Code"]
    assert props["ImageConfig"]["Command"] == ["app.analyze"]
    assert (props["MemorySize"], props["Timeout"]) == (2048, 60)
    assert props["ReservedConcurrentExecutions"] >= 1
    env = props["Environment"]["Variables"]
    assert DATA_ENV <= set(env)
    assert int(env["VETRINA_LEASE_SECONDS"]) > props["Timeout"]
    main, _ = queues(template)
    (mapping,) = of_type(template, "AWS::Lambda::EventSourceMapping").values()  # the queue's only consumer
    m = mapping["Properties"]
    assert m["FunctionName"] == {"Ref": logical}
    assert m["EventSourceArn"] == {"Fn::GetAtt": [main, "Arn"]}
    assert m["BatchSize"] == 1
    assert 2 <= m["ScalingConfig"]["MaximumConcurrency"] <= max(2, props["ReservedConcurrentExecutions"])


def test_api_function_is_chalice_on_python312_with_the_stack_environment(template, synth):
    out, _ = synth
    functions = of_type(template, "AWS::Serverless::Function")
    # Chalice's Analyze is not deployed (the image consumes the queue); the recovery handlers ship in the zip
    assert set(functions) == {"APIHandler", "StopDeadLetters", "Sweep"}
    props = functions["APIHandler"]["Properties"]
    assert (props["Runtime"], props["Handler"]) == ("python3.12", "app.app")
    assert "Events" not in props
    # the REST API invokes it by its name (no reference to the function: see infra/chalice_api.py)
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert "APIHandler" not in json.dumps(body)
    uris = {
        json.dumps(op["x-amazon-apigateway-integration"]["uri"])
        for methods in body["paths"].values()
        for op in methods.values()
        if isinstance(op, dict) and "x-amazon-apigateway-integration" in op
    }
    assert len(uris) == 1 and f":function:{props['FunctionName']}/invocations" in uris.pop()
    assert (out / f"asset.{props['CodeUri']['Key']}").is_file()
    env = props["Environment"]["Variables"]
    assert DATA_ENV <= set(env)
    main, _ = queues(template)
    resources = template["Resources"]
    bucket_logical, bucket = one(template, "AWS::S3::Bucket")
    assert env["VETRINA_BUCKET"] == bucket["Properties"]["BucketName"]
    assert env["VETRINA_TABLE"] == {"Ref": one(template, "AWS::DynamoDB::Table")[0]}
    assert env["VETRINA_QUEUE_NAME"] == resources[main]["Properties"]["QueueName"]
    assert env["VETRINA_TOPIC_ARN"] == {"Ref": one(template, "AWS::SNS::Topic")[0]}
    assert env["VETRINA_USER_POOL_ID"] == {"Ref": one(template, "AWS::Cognito::UserPool")[0]}
    assert env["VETRINA_USER_POOL_CLIENT_ID"] == {"Ref": one(template, "AWS::Cognito::UserPoolClient")[0]}
    assert (env["VETRINA_BACKEND"], env["VETRINA_AUTH"], env["VETRINA_LEASE_SECONDS"], env["VETRINA_MAX_ATTEMPTS"]) == (
        "aws",
        "cognito",
        "90",
        "3",
    )
    _, image = analyzer(template)
    image_env = image["Properties"]["Environment"]["Variables"]
    assert {k: image_env[k] for k in DATA_ENV} == {k: env[k] for k in DATA_ENV}


def test_recovery_handlers_consume_the_dead_letters_and_run_on_a_schedule(template):
    """app.stop_dead_letters on the dead-letter queue, app.sweep every few minutes: python3.12, from
    the API's zip, with the API's role (granted the dead-letter queue before the event source)."""
    functions = of_type(template, "AWS::Serverless::Function")
    api = functions["APIHandler"]["Properties"]
    main, dead = queues(template)
    resources = template["Resources"]
    for name, handler in (("StopDeadLetters", "app.stop_dead_letters"), ("Sweep", "app.sweep")):
        props = functions[name]["Properties"]
        assert (props["Runtime"], props["Handler"]) == ("python3.12", handler)
        assert props["Role"] == api["Role"] and props["CodeUri"] == api["CodeUri"]
        assert props["Environment"] == api["Environment"]
        assert props["FunctionName"].startswith(api["FunctionName"] + "-")
    (event,) = functions["StopDeadLetters"]["Properties"]["Events"].values()
    assert event["Type"] == "SQS" and event["Properties"]["BatchSize"] == 1
    assert resources[dead]["Properties"]["QueueName"] in json.dumps(event["Properties"]["Queue"])
    assert resources[dead]["Properties"].get("VisibilityTimeout", 30) >= api["Timeout"]
    assert any(d.startswith("ApiRoleDefaultPolicy") for d in functions["StopDeadLetters"].get("DependsOn", []))
    (schedule,) = functions["Sweep"]["Properties"]["Events"].values()
    assert schedule["Type"] == "Schedule" and schedule["Properties"]["Schedule"].startswith("rate(")


def test_bucket_is_versioned_and_old_versions_expire(template):
    _, bucket = one(template, "AWS::S3::Bucket")
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = props["LifecycleConfiguration"]["Rules"]
    incoming = [r for r in rules if r.get("Prefix") == UPLOAD_PREFIX]
    assert all(r["NoncurrentVersionExpiration"]["NoncurrentDays"] == r["ExpirationInDays"] for r in incoming)


def test_api_routes_need_a_token_of_the_stacks_user_pool(template):
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    definitions = body.get("securityDefinitions", {})
    if not definitions and "CognitoUserPoolAuthorizer" not in (ROOT / "app.py").read_text():
        pytest.skip("app.py attaches no Cognito authorizer yet")
    pool_logical, _ = one(template, "AWS::Cognito::UserPool")
    assert definitions
    for definition in definitions.values():
        authorizer = definition["x-amazon-apigateway-authorizer"]
        assert authorizer["type"] == "cognito_user_pools"
        assert authorizer["providerARNs"] == [{"Fn::GetAtt": [pool_logical, "Arn"]}]
    assert {"/", "/gallery", "/review", "/static/{name}"} <= set(body["paths"])  # the pages, from the API
    secured = 0
    for path, methods in body["paths"].items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "x-amazon-apigateway-integration" not in operation:
                continue
            if operation.get("security"):
                assert all(set(s) <= set(definitions) for s in operation["security"])
                secured += 1
            else:
                assert path in PUBLIC_PATHS, f"{method.upper()} {path} needs no token"
    assert secured >= 10


def test_a_path_the_api_does_not_have_answers_a_json_404(template):
    """API Gateway's own answer to an unknown path (403 "Missing Authentication Token") is replaced
    by a 404 in the API's error format, as the local server answers."""
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    response = body["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]
    assert response["statusCode"] == 404
    assert response["responseParameters"]["gatewayresponse.header.Content-Type"] == "'application/json'"
    rendered = (
        response["responseTemplates"]["application/json"].replace("$context.httpMethod", "GET").replace("$context.path", "/nope")
    )
    assert json.loads(rendered)["error"]["code"] == "not_found"


def test_an_hourly_rule_queues_the_automatic_reminders(template):
    queue_logical, _ = queues(template)
    rule_logical, rule = one(template, "AWS::Events::Rule")
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 hour)"
    [target] = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [queue_logical, "Arn"]}
    assert json.loads(target["Input"]) == {"job": "reminders", "lead_hours": 24}
    policies = [p["Properties"] for p in of_type(template, "AWS::SQS::QueuePolicy").values()]
    # Only this rule may send to the queue through EventBridge.
    assert any(
        s.get("Principal") == {"Service": "events.amazonaws.com"}
        and "sqs:SendMessage" in s["Action"]
        and s["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_logical, "Arn"]}}}
        for p in policies
        for s in p["PolicyDocument"]["Statement"]
    )


def test_prod_retains_data_and_dev_does_not(templates):
    kinds = ("AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::Cognito::UserPool", "AWS::SQS::Queue", "AWS::SNS::Topic")
    for stage, policy in (("prod", "Retain"), ("dev", "Delete")):
        for kind in kinds:
            for logical, resource in of_type(templates[stage], kind).items():
                assert resource.get("DeletionPolicy") == policy, (stage, logical)
                assert resource.get("UpdateReplacePolicy") == policy, (stage, logical)
    _, table = one(templates["prod"], "AWS::DynamoDB::Table")
    assert table["Properties"]["DeletionProtectionEnabled"] is True


# The logical ids of the retained resources, as deployed: CloudFormation replaces a resource whose
# logical id changes, which would leave prod's data outside the stack (infra/stack_parts/__init__.py).
RETAINED_LOGICAL_IDS = {
    "PhotosB9552D0D": "AWS::S3::Bucket",
    "Records091F6ECA": "AWS::DynamoDB::Table",
    "Users0A0EEA89": "AWS::Cognito::UserPool",
    "AnalysisQueue251119DF": "AWS::SQS::Queue",
    "AnalysisDLQC7CDEB4B": "AWS::SQS::Queue",
    "EventsD32975C2": "AWS::SNS::Topic",
    "ApiLogs3D05D88B": "AWS::Logs::LogGroup",
    "AnalyzerLogs0390F2AA": "AWS::Logs::LogGroup",
    "StopDeadLettersLogsACB92FE3": "AWS::Logs::LogGroup",
    "SweepLogsD6C54147": "AWS::Logs::LogGroup",
}


def test_retained_resources_keep_their_logical_ids(templates):
    kinds = set(RETAINED_LOGICAL_IDS.values())
    for template in templates.values():
        assert {k: r["Type"] for k, r in template["Resources"].items() if r["Type"] in kinds} == RETAINED_LOGICAL_IDS
    for logical in RETAINED_LOGICAL_IDS:
        assert templates["prod"]["Resources"][logical]["DeletionPolicy"] == "Retain", logical


# --- the assets -----------------------------------------------------------------------------------


def test_api_asset_is_the_python312_staging_without_the_image_stack(templates, synth, tmp_path):
    out, _ = synth
    key = templates["dev"]["Resources"]["APIHandler"]["Properties"]["CodeUri"]["Key"]
    with zipfile.ZipFile(out / f"asset.{key}") as z:
        names_ = z.namelist()
        z.extractall(tmp_path / "api")
    assert len(names_) == len(set(names_))
    tops = {n.split("/")[0] for n in names_}
    assert not tops & {*HEAVY, "opencv_python_headless.libs", "numpy.libs", "models", "vendor", "requirements.txt"}
    assert not any(n.startswith("chalicelib/vision/") for n in names_)
    assert {"app.py", "chalice/__init__.py", "chalice/app.py", "__pycache__/app.cpython-312.pyc"} <= set(names_)
    assert any(n.startswith("pydantic_core/_pydantic_core.cpython-312-x86_64") for n in names_)
    assert not any(".cpython-311" in n for n in names_)
    py = python312()
    if py is None:
        pytest.skip("python3.12 (PYENV_VERSION=3.12.1) is not available")
    event = api_gateway_event("/campaigns")
    code = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(tmp_path / 'api')!r})\n"
        "import app\n"
        "response = app.app(json.loads(sys.argv[1]), None)\n"
        "print(json.dumps({'status': response['statusCode'], 'heavy': [m for m in sys.modules if m in "
        f"{HEAVY!r}]}}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "VETRINA_"))}
    env.update(PYENV_VERSION="3.12.1", VETRINA_BACKEND="local", VETRINA_AUTH="cognito", VETRINA_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run(
        [*py, "-I", "-S", "-c", code, json.dumps(event)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"status": 200, "heavy": []}


def image_asset(synth) -> tuple[Path, dict[str, Any]]:
    out, _ = synth
    manifest = json.loads((out / "vetrina-dev.assets.json").read_text())
    (image,) = manifest["dockerImages"].values()
    return out / image["source"]["directory"], image["source"]


def test_image_context_holds_what_the_dockerfile_reads_and_nothing_else(synth):
    context, source = image_asset(synth)
    assert source["dockerFile"] == "infra/analyzer/Dockerfile" and source["platform"] == "linux/amd64"
    dockerfile = (context / source["dockerFile"]).read_text()
    assert re.findall(r"^FROM (\S+)", dockerfile, re.M) == ["public.ecr.aws/lambda/python:3.12"] * 2
    assert re.findall(r"^CMD (.+)$", dockerfile, re.M) == ['["app.analyze"]']
    for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.M):
        for src in shlex.split(line)[:-1]:
            assert (context / src).exists(), f"COPY {src}: not in the build context"
    tops = {p.name for p in context.iterdir()}
    assert tops <= {"app.py", "chalicelib", "models", "infra", "requirements.txt", "requirements-dev.txt", ".dockerignore"}
    assert {p.name for p in (context / "infra").iterdir()} == {"build_artifacts.py", "analyzer"}
    assert not list(context.rglob("__pycache__"))


def test_image_build_step_stages_the_analyzer_without_chalice_installed(synth, tmp_path):
    """The Dockerfile's RUN, outside Docker: python3.12 (no chalice installed) in the build context."""
    py = python312()
    if py is None:
        pytest.skip("python3.12 (PYENV_VERSION=3.12.1) is not available")
    context, source = image_asset(synth)
    (run,) = re.findall(r"^RUN (.+)$", (context / source["dockerFile"]).read_text(), re.M)
    argv = shlex.split(run)
    assert argv[:2] == ["python3.12", "infra/build_artifacts.py"]
    task_root = tmp_path / "task"
    argv[argv.index("--cache") + 1] = str(CACHE)
    argv[argv.index("--stage-analyzer") + 1] = str(task_root)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYENV_VERSION"] = "3.12.1"
    probe = subprocess.run([*py, "-I", "-c", "import chalice"], capture_output=True, env=env)
    assert probe.returncode != 0, "python3.12 has chalice installed: the test would not show the image's path"
    proc = subprocess.run([*py, "-I", *argv[1:]], cwd=context, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    import chalice
    import chalice.app

    assert (task_root / "chalice" / "__init__.py").read_bytes() == Path(chalice.__file__).read_bytes()
    assert (task_root / "chalice" / "app.py").read_bytes() == Path(chalice.app.__file__).read_bytes()
    assert not (task_root / "chalice" / "cli").exists()
    manifest = json.loads((task_root / "models" / "manifest.json").read_text())
    sys.path.insert(0, str(ROOT / "infra"))
    try:
        import build_artifacts
    finally:
        sys.path.remove(str(ROOT / "infra"))
    assert [m["name"] for m in manifest["models"]] == build_artifacts.ANALYZER_MODELS
    assert all((task_root / "models" / m["file"]).is_file() for m in manifest["models"])
    # The image's handler (CMD app.analyze) from the task root alone, as Lambda calls it: S3's test
    # notification (sent when a bucket notification is configured) builds the worker, which checks
    # the models it uses, and reports no photo.
    test_event = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"})
    sqs_event = {
        "Records": [
            {
                "messageId": "1",
                "receiptHandle": "r",
                "body": test_event,
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:000000000000:vetrina-dev-analysis",
                "awsRegion": "eu-west-1",
            }
        ]
    }
    code = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(task_root)!r})\n"
        "import app, cv2, numpy, onnxruntime, PIL.Image, pillow_heif, rapidfuzz\n"
        "app.analyze(json.loads(sys.argv[1]), None)\n"
        "print('ok')\n"
    )
    env.update(VETRINA_BACKEND="local", VETRINA_DATA_DIR=str(tmp_path / "data"))
    smoke = subprocess.run(
        [*py, "-I", "-S", "-c", code, json.dumps(sqs_event)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert smoke.returncode == 0 and smoke.stdout.strip().splitlines()[-1] == "ok", smoke.stderr[-3000:]
