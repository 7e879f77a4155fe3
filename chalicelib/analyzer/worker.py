"""The worker behind the analysis queue: storage notifications go to the photo processor,
HQ's test photos (``{"job": "trial"}``) to the trial runner, a review decision's delayed message
(``{"job": "review_notice"}``) to the decision notices, the other job messages (re-runs,
exports, reminders) to chalicelib.services.jobs. The Lambda handler and the local worker
thread both hand every message here."""

from __future__ import annotations

import json

from chalicelib.analyzer.processing import UploadProcessor, processor_for
from chalicelib.analyzer.trials import TrialRunner
from chalicelib.services.jobs import Jobs
from chalicelib.services.notifications import NOTICE_JOB, DecisionNotices
from chalicelib.wiring import Services


class Worker:
    def __init__(
        self,
        processor: UploadProcessor,
        jobs: Jobs,
        trials: TrialRunner | None = None,
        notices: DecisionNotices | None = None,
    ):
        self._processor = processor
        self._jobs = jobs
        self._trials = trials
        self._notices = notices

    def handle_message(self, body: str) -> list[str]:
        """Handle one message; return what happened (an outcome per photo, or the job's)."""
        message = json.loads(body)
        if isinstance(message, dict) and message.get("job") == "trial":
            if self._trials is None:
                raise ValueError("this worker runs no trials")
            return [self._trials.run(str(message["trial_id"]))]
        if isinstance(message, dict) and message.get("job") == NOTICE_JOB:
            if self._notices is None:
                raise ValueError("this worker tells no review decisions")
            return [self._notices.deliver(body)]
        if isinstance(message, dict) and "job" in message:
            return [self._jobs.handle(body)]
        return self._processor.handle_message(body)


def worker_for(services: Services) -> Worker:
    """The worker on a process's services; checks the models first."""
    trials = TrialRunner(services.records, services.blobs, services.campaigns, services.settings)
    return Worker(processor_for(services), services.jobs, trials, services.notices)
