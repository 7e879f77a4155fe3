"""The parts of VetrinaStack, one module per concern: the photo bucket, the analysis queues, the
records table, the events topic, the users, the API and the analyzer.

They are plain classes, not CDK Constructs, and put their resources straight into the stack: a
Construct adds its id to the logical id of every resource under it, and CloudFormation replaces a
resource whose logical id changes. Prod's retained bucket, table, user pool, queues and topic would
be left outside the stack and new ones created under the same fixed names (which fails).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from stages import Stage

LOG_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def data_removal(stage: Stage) -> cdk.RemovalPolicy:
    """Prod keeps its data when the stack is deleted; dev's goes with the stack."""
    return cdk.RemovalPolicy.RETAIN if stage.retain_data else cdk.RemovalPolicy.DESTROY
