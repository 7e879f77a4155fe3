"""Vetrina's Chalice app: the API's routes (a blueprint per resource, in chalicelib.api; each route
names its permission and its description there) and the analysis worker's event handler.

Who may call what is decided in chalicelib.core.auth (roles) and the services (scope).
"""

import os
from importlib.util import find_spec

from chalice import Chalice

from chalicelib.api import http
from chalicelib.api.campaigns import campaigns
from chalicelib.api.compliance import compliance
from chalicelib.api.pages import pages
from chalicelib.api.review import reviews
from chalicelib.api.stores import stores
from chalicelib.api.submissions import submissions
from chalicelib.core.settings import backend_of
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
