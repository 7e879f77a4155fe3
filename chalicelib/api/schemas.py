"""The shapes of the API's answers, as pydantic models: the API's description (chalicelib.api.openapi)
is generated from them, and the schemathesis run checks real answers against it.

Only their JSON schema is used (the services build plain dicts). A field declared ``absent()`` may
be missing from an answer; ``X | None`` may be null. Enumerations are chalicelib.core.vocabulary's.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema, create_model

from chalicelib.core.guideline import RULE_TYPES
from chalicelib.core.vocabulary import (
    EXPORT_KINDS,
    OUTCOME_STATES,
    REVIEW_STATES,
    CampaignStatus,
    JobStatus,
    OutcomeState,
    RuleStatus,
    SubmissionStatus,
    Verdict,
)
from chalicelib.services.review import OverrideIn

Link = Annotated[str, Field(description="a short-lived signed link")]
Cursor = Annotated[str | None, Field(description="pass it back as ?cursor= for the next page; null on the last page")]
# The guideline document: chalicelib.api.openapi describes it from the guideline's own models, and
# puts its reference where a schema names the component.
COMPONENT = "x-component"
GuidelineDocument = Annotated[dict[str, Any], WithJsonSchema({COMPONENT: "Guideline"})]
ReviewState = Literal[REVIEW_STATES]  # type: ignore[valid-type]
ExportKind = Literal[EXPORT_KINDS]  # type: ignore[valid-type]
RuleType = Literal[tuple(RULE_TYPES)]  # type: ignore[valid-type]
ReviewerLabel = OverrideIn.model_fields["status"].annotation  # what a reviewer may say of a rule


def absent(description: str | None = None) -> Any:
    """A field an answer may leave out (chalicelib.api.openapi drops the null default)."""
    return Field(None, description=description)


# --- errors ---------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable, e.g. invalid_input, campaign_not_found")
    message: str = Field(description="what went wrong and what to fix")


class Error(BaseModel):
    """The one error format of the API."""

    error: ErrorDetail


class GatewayError(BaseModel):
    """API Gateway's own answer (AWS), before the function runs."""

    message: str


# --- campaigns --------------------------------------------------------------------------------------


class Targets(BaseModel):
    regions: list[str]
    clusters: list[str]
    stores: list[str]


class _CampaignFields(BaseModel):
    campaign_id: str
    name: str
    start_date: date
    deadline: date
    targets: Targets = absent("not shown to stores")
    guideline_version: int
    status: CampaignStatus
    target_count: int


class CampaignSummary(_CampaignFields):
    deadline_at: datetime = absent("stores only: the deadline in the store's timezone")
    state: OutcomeState = absent("stores only: the store's outcome")


class CampaignList(BaseModel):
    campaigns: list[CampaignSummary]
    cursor: Cursor


class StoreSchedule(BaseModel):
    starts_at: datetime
    deadline_at: datetime
    timezone: str
    state: OutcomeState
    latest_submission_id: str = absent("the store's latest finished photo in the campaign")


class Campaign(_CampaignFields):
    guideline: GuidelineDocument
    pack: list[str] = Field(description="the names of the pack files uploaded so far")
    created_at: datetime
    updated_at: datetime
    pack_links: dict[str, Link] = absent("GET only: a link per pack file")
    schedule: dict[str, StoreSchedule] = absent("GET by a store only: the store's own start and deadline, in its timezone")


class Upload(BaseModel):
    url: str = Field(description="POST a form here: the fields, then the file as the field 'file'")
    fields: dict[str, str]


class PackUpload(BaseModel):
    name: str
    upload: Upload
    expires_in: int


class Published(BaseModel):
    campaign_id: str
    status: Literal["published"]
    target_count: int
    new_targets: int
    guideline_version: int


class Closed(BaseModel):
    campaign_id: str
    status: Literal["closed"]


class GuidelineVersionSummary(BaseModel):
    version: int
    created_at: datetime
    rules: int = Field(description="how many rules")


class GuidelineVersions(BaseModel):
    versions: list[GuidelineVersionSummary]
    cursor: Cursor


class GuidelineVersion(BaseModel):
    version: int
    created_at: datetime
    guideline: GuidelineDocument


class RerunQueued(BaseModel):
    campaign_id: str
    guideline_version: int
    status: Literal["queued"]


# --- stores -------------------------------------------------------------------------------------------


class StoresImported(BaseModel):
    imported: int


class Store(BaseModel):
    store_id: str
    name: str
    region: str
    cluster: str
    timezone: str


class StoreList(BaseModel):
    stores: list[Store]
    cursor: Cursor


class RegionCount(BaseModel):
    region: str
    stores: int


class ClusterCount(BaseModel):
    cluster: str
    stores: int


class StoreFacets(BaseModel):
    stores: int
    regions: list[RegionCount]
    clusters: list[ClusterCount]


class StoreMatches(BaseModel):
    stores: list[Store]


class StoreReach(BaseModel):
    stores: int = Field(description="the stores the targets reach")
    named: list[Store] = Field(description="the stores named one by one, as the store list has them")
    unknown: list[str] = Field(description="named ids that are not in the store list")


# --- submissions ----------------------------------------------------------------------------------------


class SubmissionCreated(BaseModel):
    """The presigned POST for the photo: send the fields, then the photo as the field 'file'."""

    submission_id: str
    upload: Upload
    expires_in: int = Field(description="seconds the upload link lasts")
    max_bytes: int


class Threshold(BaseModel):
    min: float = absent()
    max: float = absent()
    uncertain_margin: float


class RuleResult(BaseModel):
    id: str
    type: RuleType  # type: ignore[valid-type]
    status: RuleStatus
    value: float | None = Field(description="what was measured")
    threshold: Threshold | None
    confidence: float
    message: str
    evidence: list[dict[str, Any]] = Field(description="boxes, quads, zones, colour cells in the normalised image's pixels")
    weight: float = absent()
    retake: bool = absent()


class PhotoFacts(BaseModel):
    format: str = absent()
    width: int = absent()
    height: int = absent()
    megapixels: float = absent()


class AnalysisResult(BaseModel):
    verdict: Verdict
    score: float = Field(description="the weighted share of passed rules")
    rules: list[RuleResult]
    photo: PhotoFacts = absent()
    warnings: list[str] = absent()
    timings_ms: dict[str, Any] = absent()
    guideline_version: int = absent()


class TrialStarted(BaseModel):
    """A trial of the draft guideline: post the test photo with ``upload`` (fields, then the file as
    'file'), then POST …/trials/{trial_id}/run."""

    trial_id: str
    status: Literal["awaiting_upload"]
    upload: Upload
    expires_in: int = Field(description="seconds the upload link lasts")
    max_bytes: int


class Trial(BaseModel):
    trial_id: str
    campaign_id: str
    status: Literal["awaiting_upload", "queued", "running", "done", "rejected", "failed"]
    created_at: datetime = absent()
    result: AnalysisResult = absent("done only: the verdict rule by rule, as a store's photo gets it")
    overlay: Link = absent("done only: the photo with each rule's numbered marks")
    reason: str = absent("rejected or failed: why, in words")
    reason_code: str = absent("rejected or failed")
    finished_at: datetime = absent("done, rejected or failed")


class Review(BaseModel):
    state: ReviewState
    by: str = absent()
    at: datetime = absent()
    comment: str = absent()


class Label(BaseModel):
    """A reviewer's status for a rule, beside the analysis's."""

    model: str = Field(description="the rule's status by the analysis")
    reviewer: ReviewerLabel  # type: ignore[valid-type]
    value: float | None = None
    by: str
    at: datetime
    comment: str = absent()


class Submission(BaseModel):
    submission_id: str
    campaign_id: str
    store_id: str
    status: SubmissionStatus
    created_at: datetime
    updated_at: datetime
    guideline_version: int
    reason: str = absent("rejected or error: why, in words for the store")
    reason_code: str = absent("rejected or error")
    result: AnalysisResult = absent("done only")
    review: Review
    overrides: dict[str, Label]
    featured: bool
    previous_submission_id: str = absent("a retake: the photo it replaces")
    retaken_by: str = absent("the retake that replaces this photo")
    images: dict[str, Link] = Field(
        description="links by name: original (once uploaded), normalised, thumbnail, overlay (once analysed)"
    )


class AuditEvent(BaseModel):
    action: str = Field(description="review:approve|reject|retake, override, override:withdraw, comment, feature, unfeature")
    by: str
    at: datetime
    comment: str = absent()
    text: str = absent()
    rule_id: str = absent()
    model: str = absent()
    reviewer: str = absent()
    old: str = absent("a decision or an override: the review state or the rule's status before")
    new: str = absent("a decision or an override: the review state or the rule's status after")


class History(BaseModel):
    events: list[AuditEvent]
    cursor: Cursor


class ShowcaseWindow(BaseModel):
    submission_id: str
    campaign_id: str
    store_id: str
    featured_at: datetime
    image: Link | None


class Showcase(BaseModel):
    windows: list[ShowcaseWindow]
    cursor: Cursor


class Notification(BaseModel):
    type: str = Field(description="analysis.finished or review.decided")
    at: datetime
    payload: dict[str, Any]


class Notifications(BaseModel):
    notifications: list[Notification]
    cursor: Cursor


# --- review ----------------------------------------------------------------------------------------------


class GalleryItem(BaseModel):
    submission_id: str
    store_id: str
    region: str | None
    status: SubmissionStatus
    verdict: Verdict | None
    score: float | None
    failed_rules: list[str]
    review_status: ReviewState
    created_at: datetime
    thumbnail: Link | None


class Gallery(BaseModel):
    submissions: list[GalleryItem]
    cursor: Cursor


class EarlierAttempt(BaseModel):
    """A store's photo that a newer one replaced as the tile's latest."""

    submission_id: str
    created_at: datetime
    state: OutcomeState
    score: float | None
    thumbnail: Link | None


class Window(BaseModel):
    """A store's tile in the gallery's per-store view: its latest finished photo in the campaign."""

    store_id: str
    store_name: str
    region: str
    state: OutcomeState
    submission_id: str | None
    submitted_at: datetime | None
    score: float | None
    failed_rules: list[str]
    review: str | None = Field(description="the latest photo's review: pending, approved, rejected, retake_requested")
    reason_code: str | None = Field(description="why the latest upload was refused (a rejected upload), else null")
    thumbnail: Link | None
    attempts: int = Field(description="the store's finished photos in the campaign, the latest included")
    earlier: list[EarlierAttempt] = Field(description="the earlier attempts, newest first (the last 20)")


class Windows(BaseModel):
    windows: list[Window]
    cursor: Cursor


class Override(BaseModel):
    rule_id: str
    model: str = Field(description="the rule's status by the analysis")
    reviewer: ReviewerLabel  # type: ignore[valid-type]
    value: float | None
    by: str
    at: datetime
    comment: str


class OverrideWithdrawn(BaseModel):
    rule_id: str
    status: str = Field(description="the model's status, which counts again")
    overrides: dict[str, Label] = Field(description="the overrides left")


class BulkError(BaseModel):
    code: str
    message: str


class BulkDecision(BaseModel):
    submission_id: str
    ok: bool
    review: Review = absent("decided")
    status: int = absent("refused: the HTTP status a single decision would have answered")
    error: BulkError = absent("refused")


class BulkDecisions(BaseModel):
    results: list[BulkDecision]
    decided: int


class Featured(BaseModel):
    submission_id: str
    featured: bool


# --- compliance --------------------------------------------------------------------------------------------

StateCounts = create_model("StateCounts", **{state: (int, ...) for state in OUTCOME_STATES})  # type: ignore[call-overload]


class Rates(BaseModel):
    """Counts and shares of a set of stores' outcomes."""

    targeted: int
    submitted: int
    states: StateCounts  # type: ignore[valid-type]
    compliance_rate: float | None = Field(description="pass / (pass + fail); null with neither")
    submission_rate: float | None
    on_time_rate: float | None
    mean_score: float | None


class RuleRate(BaseModel):
    rule_id: str
    statuses: dict[str, int] = Field(description="count per final rule status")
    pass_rate: float | None


class RegionRates(Rates):
    """A region's rates."""

    region: str


class CampaignCompliance(BaseModel):
    campaign_id: str
    name: str
    status: CampaignStatus
    deadline: date
    guideline_version: int
    overall: Rates
    regions: list[RegionRates]
    rules: list[RuleRate]
    scope: list[str] | None = Field(
        description="the regions every figure counts (a merchandiser's the campaign reaches); null: the whole network"
    )


class StoreOutcome(BaseModel):
    """A store's outcome in a campaign: what its latest finished photo says, reviews included."""

    campaign_id: str
    store_id: str
    store_name: str
    region: str
    timezone: str
    deadline_at: datetime
    state: OutcomeState
    submission_id: str | None
    submitted_at: datetime | None
    score: float | None
    on_time: bool | None
    failed_rules: list[str]
    reminded_at: datetime | None = Field(description="when the store was last reminded of this campaign; null if never")


class StoreOutcomes(BaseModel):
    stores: list[StoreOutcome]
    cursor: Cursor


class MissingStore(StoreOutcome):
    """A store with no usable photo yet."""

    past_deadline: bool


class MissingStores(BaseModel):
    stores: list[MissingStore]
    cursor: Cursor


class WeekRates(Rates):
    """The rates of the campaigns that started in a week."""

    week: str = Field(description="ISO week of the campaigns' start, e.g. 2026-W47")
    rules: list[RuleRate]


class Trends(BaseModel):
    region: str | None
    weeks: list[WeekRates]
    total: Rates


class StoreCompliance(BaseModel):
    store_id: str
    campaigns: list[StoreOutcome]
    total: Rates


class Confusion(BaseModel):
    model: str
    reviewer: str
    count: int


class SuggestedThreshold(BaseModel):
    """A suggested bound for the rule, or the reason there is none."""

    suggested: float | None
    reason: str = absent()
    bound: Literal["min", "max"] = absent()
    current: float | None = None
    labelled: int = absent()
    agreement_at_current: float | None = None
    agreement_at_suggested: float = absent()


class RuleAgreement(BaseModel):
    rule_id: str
    labelled: int
    overridden: int
    override_rate: float | None
    precision: float | None
    recall: float | None
    confusion: list[Confusion]
    threshold: SuggestedThreshold


class Agreement(BaseModel):
    campaign_id: str | None
    rules: list[RuleAgreement]
    min_labels: int


class ExportStarted(BaseModel):
    export_id: str
    status: Literal["queued"]
    kind: ExportKind
    campaign_id: str


class Export(BaseModel):
    export_id: str
    kind: ExportKind
    campaign_id: str
    status: JobStatus
    created_at: datetime
    rows: int = absent("done only")
    finished_at: datetime = absent("done or failed only")
    download: Link = absent("done only: the CSV")
    reason: str = absent("failed only: what happened and what to do")


# --- the description itself ----------------------------------------------------------------------------------


class ApiDescription(BaseModel):
    """An OpenAPI 3.1 document."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


# --- HQ's pages: the hardest rules, reminders, the guideline editor ------------------------------------


class RegionRulePass(BaseModel):
    region: str
    pass_rate: float | None
    judged: int
    failed: int


class RuleSpread(BaseModel):
    rule_id: str
    pass_rate: float | None
    judged: int = Field(description="stores whose photo was judged pass or fail on this rule")
    failed: int
    regions: list[RegionRulePass]
    lowest: float | None = Field(description="the lowest regional pass rate")
    highest: float | None
    region_spread: float | None = Field(description="highest minus lowest regional pass rate")
    store_spread: float | None = Field(description="standard deviation of pass (1) / fail (0) across judged stores")


class RuleSpreads(BaseModel):
    campaign_id: str
    rules: list[RuleSpread] = Field(description="the rules where regions differ most first")


class ReminderSent(BaseModel):
    store_id: str
    reminded_at: datetime


class ReminderSkipped(BaseModel):
    store_id: str
    reason: Literal["not_targeted", "has_photo"]


class RemindersSent(BaseModel):
    campaign_id: str
    sent: list[ReminderSent]
    skipped: list[ReminderSkipped]


class GuidelineProblem(BaseModel):
    path: str = Field(description="the field, as in rules[1].parameters.min; empty for the whole text")
    message: str
    line: int | None = Field(description="1-based line of the text the problem is at")


class GuidelineCheck(BaseModel):
    valid: bool
    guideline: GuidelineDocument | None
    problems: list[GuidelineProblem]
