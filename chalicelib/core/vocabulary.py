"""The words of Vetrina's records and answers, each defined once: statuses, verdicts, states.

The analysis, the services, the counters and the API's description all use these; a new word is
added here and nowhere else.
"""

from __future__ import annotations

from typing import Literal, get_args

# A rule's result, as the checks give it.
RuleStatus = Literal["pass", "fail", "uncertain", "error", "skipped"]
RULE_STATUSES: tuple[str, ...] = get_args(RuleStatus)

# A submission's verdict, from its rules (vision/verdict.py decides it).
Verdict = Literal["pass", "fail", "review", "retake"]
VERDICTS: tuple[str, ...] = get_args(Verdict)

# A submission's life: created with an upload link; queued once the photo is stored; analysing
# under a lease; then done, rejected (not a usable photo) or error (the analysis kept failing, or
# its message reached the dead-letter queue); expired when no photo came within the link's life.
SubmissionStatus = Literal["awaiting_upload", "queued", "analyzing", "done", "rejected", "error", "expired"]
SUBMISSION_STATUSES: tuple[str, ...] = get_args(SubmissionStatus)
FINAL_STATUSES = ("done", "rejected")  # never analysed again (a re-run queues done photos itself)
CLAIMABLE_STATUSES = ("awaiting_upload", "queued", "error")  # an analyzer may claim these
UNFINISHED_STATUSES = ("awaiting_upload", "queued", "analyzing")  # what the sweep and the dead letters end

CampaignStatus = Literal["draft", "published", "closed"]
CAMPAIGN_STATUSES: tuple[str, ...] = get_args(CampaignStatus)

# A store's outcome in a campaign (its latest finished photo, reviews included).
OutcomeState = Literal["missing", "pass", "fail", "review", "retake"]
OUTCOME_STATES: tuple[str, ...] = get_args(OutcomeState)
# The gallery's one-tile-per-store view: what a person must look at first (the model left it to a
# person, then failures, then photos to retake), then the passed windows, then the stores without one.
NEEDS_A_PERSON_FIRST: tuple[str, ...] = ("review", "fail", "retake", "pass", "missing")

# A reviewer's decision, and the review state it leaves the submission in.
REVIEW_DECISIONS = {"approve": "approved", "reject": "rejected", "retake": "retake_requested"}
REVIEW_STATES: tuple[str, ...] = ("pending", *REVIEW_DECISIONS.values())

JobStatus = Literal["queued", "done", "failed"]  # failed: the job's message failed every attempt
EXPORT_KINDS = ("results", "labels")
