"""The events topic (analysis.finished, review.decided): its subscribers are configured outside the stack."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from stages import Stage

from stack_parts import data_removal


class EventsTopic:
    def __init__(self, stack: cdk.Stack, *, stage: Stage) -> None:
        self.topic = sns.Topic(
            stack,
            "Events",
            topic_name=f"{stack.stack_name}-events",
            enforce_ssl=True,
            master_key=kms.Alias.from_alias_name(stack, "SnsManagedKey", "alias/aws/sns"),
        )
        self.topic.apply_removal_policy(data_removal(stage))

    def grant_publish(self, role: iam.IRole) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="PublishEvents", actions=["sns:Publish"], resources=[self.topic.topic_arn])
        )
