"""The analysis queue, its dead-letter queue and the alarm on the dead letters; the hourly
schedule that queues the automatic reminders as a job."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from stages import Stage

from stack_parts import data_removal


class AnalysisQueues:
    def __init__(self, stack: cdk.Stack, *, stage: Stage) -> None:
        removal = data_removal(stage)
        self.name = f"{stack.stack_name}-analysis"  # the app finds the DLQ as "<queue>-dlq" (chalicelib/storage/sqs_queue.py)
        self.dead_letters = sqs.Queue(
            stack,
            "AnalysisDLQ",
            queue_name=f"{self.name}-dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            removal_policy=removal,
        )
        self.queue = sqs.Queue(
            stack,
            "AnalysisQueue",
            queue_name=self.name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=cdk.Duration.seconds(6 * stage.analyzer_timeout_s),
            retention_period=cdk.Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=stage.max_attempts),
            removal_policy=removal,
        )
        self.alarm = cloudwatch.Alarm(
            stack,
            "AnalysisDLQNotEmpty",
            alarm_name=f"{stack.stack_name}-analysis-dead-letters",
            alarm_description="Photos whose analysis failed every attempt reached the dead-letter queue (its consumer "
            "ends them as error, analysis_stopped, and drains it): look at the analyzer's logs.",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(1), statistic="Maximum"
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self._schedule_reminders(stack, stage)

    def grant_consume_dead_letters(self, role: iam.IRole) -> None:
        """The dead-letter queue's consumer (app.stop_dead_letters, an SQS event source on the API's
        role): what Lambda's poller calls with the function's role."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ConsumeDeadLetters",
                actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
                resources=[self.dead_letters.queue_arn],
            )
        )

    def _schedule_reminders(self, stack: cdk.Stack, stage: Stage) -> None:
        # The scheduled reminders ride the queue as a job, like re-runs and exports (retries, DLQ):
        # the worker reminds each store once per campaign and deadline (chalicelib.services.reminders).
        self.reminder_schedule = events.Rule(
            stack,
            "ReminderSchedule",
            schedule=events.Schedule.rate(cdk.Duration.hours(1)),
            description="Queues the automatic reminders of stores still owing a photo near their deadline",
            targets=[
                targets.SqsQueue(
                    self.queue,
                    message=events.RuleTargetInput.from_object({"job": "reminders", "lead_hours": stage.reminder_lead_hours}),
                )
            ],
        )

    def grant_enqueue(self, role: iam.IRole) -> None:
        """Sending jobs (re-runs, exports, follow-up work); receiving is the event source's grant."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="EnqueueJobs", actions=["sqs:SendMessage", "sqs:GetQueueUrl"], resources=[self.queue.queue_arn]
            )
        )
