"""Vetrina's Chalice app: the API's routes (a blueprint per resource, in chalicelib.api; each route
names its permission and its description there) and the event handlers: the analysis worker, the
dead-letter consumer and the sweep.

Who may call what is decided in chalicelib.core.auth (roles) and the services (scope).
"""

import os
from importlib.util import find_spec

from chalice import Chalice, Rate

from chalicelib.api import http
from chalicelib.api.campaigns import campaigns
from chalicelib.api.compliance import compliance
from chalicelib.api.pages import pages
from chalicelib.api.review import reviews
from chalicelib.api.stores import stores
from chalicelib.api.submissions import submissions
from chalicelib.core.settings import backend_of
from chalicelib.storage.sqs_queue import dead_letter_queue_name
from chalicelib.wiring import services

app = Chalice(app_name="vetrina")
app.register_middleware(http.uniform_errors, "http")
for blueprint in (campaigns, stores, submissions, reviews, compliance, pages):
    app.register_blueprint(blueprint)

if backend_of(os.environ) == "local" and find_spec("chalicelib.local") is not None:
    # The local backend's stand-ins for S3's upload and download endpoints. The artifacts built for
    # AWS leave chalicelib/local/ out (infra/build_artifacts.py); their smoke tests run them on the
    # local backend, without the stand-ins.
    from chalicelib.local.routes import local_stand_ins

    app.register_blueprint(local_stand_ins)

# Read at import: Chalice needs the queue's name when it packages the event source.
ANALYSIS_QUEUE = os.environ.get("VETRINA_QUEUE_NAME", "vetrina-analysis")


@app.on_sqs_message(queue=ANALYSIS_QUEUE, batch_size=1, name="analyze")
def analyze(event) -> None:
    from chalicelib.analyzer.observability import configure_for_lambda
    from chalicelib.analyzer.worker import worker_for  # the image stack loads only here

    configure_for_lambda()
    worker = worker_for(services())
    for record in event:
        worker.handle_message(record.body)


# In the API's zip (no image stack): a message that reached the dead-letter queue ends its
# submission as error, and the sweep queues lost uploads again and expires unused links
# (chalicelib.services.recovery; locally the worker thread does both).
@app.on_sqs_message(queue=dead_letter_queue_name(ANALYSIS_QUEUE), batch_size=1, name="stop_dead_letters")
def stop_dead_letters(event) -> None:
    recovery = services().recovery
    for record in event:
        recovery.dead_letter(record.body)


SWEEP_MINUTES = 5  # with VETRINA_SWEEP_AFTER (300 s): a lost upload is queued again within ~10 minutes


@app.schedule(Rate(SWEEP_MINUTES, unit=Rate.MINUTES), name="sweep")
def sweep(event) -> None:
    services().recovery.sweep()
    services().notices.settle_overdue()  # review decisions whose store message was lost
